"""A tiny GPT-2 (2 layers, 64 wide, built from a config: nothing is downloaded) trained with the
Hugging Face Trainer on generated token sequences (each token is the previous one + 1, mod the
vocabulary, from a random start: learnable, so the loss falls). The one line that connects it to
Batch Tuner is the `callbacks=[BatchTunerCallback()]` argument; the rest is an ordinary HF script
reading its settings from config.yaml."""

import argparse
import os

import torch
from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainingArguments

from batch_tuner.config import read_config
from batch_tuner.hf import BatchTunerCallback

HERE = os.path.dirname(os.path.abspath(__file__))


def sequences(n, length, vocab, seed):
    g = torch.Generator().manual_seed(seed)
    start = torch.randint(0, vocab, (n, 1), generator=g)
    ids = (start + torch.arange(length)) % vocab
    return [{"input_ids": row, "labels": row} for row in ids]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", default=os.path.join(HERE, "config.yaml"))
    ap.add_argument("--max-steps", type=int)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--output-dir", help="the Trainer's output folder (default runs/<trial id>: parallel trials don't share one)")
    args = ap.parse_args()
    cfg = read_config(args.config)
    output_dir = args.output_dir or os.path.join(HERE, "runs", os.environ.get("BATCH_TUNER_TRIAL_ID", "manual"))
    seed = int(args.seed if args.seed is not None else cfg.get("seed", 0))
    torch.manual_seed(seed)
    vocab, length = int(cfg.get("vocab_size", 97)), int(cfg.get("sequence_length", 32))
    model = GPT2LMHeadModel(GPT2Config(n_layer=2, n_head=2, n_embd=64, vocab_size=vocab, n_positions=length,
                                       bos_token_id=0, eos_token_id=0))
    training = TrainingArguments(
        output_dir=output_dir,
        per_device_train_batch_size=int(cfg.get("per_device_train_batch_size", 8)),
        gradient_accumulation_steps=int(cfg.get("gradient_accumulation_steps", 1)),
        learning_rate=float(cfg.get("learning_rate", 3e-3)),
        max_steps=int(args.max_steps or cfg.get("max_steps", 100)),
        eval_strategy="steps",
        eval_steps=int(cfg.get("eval_steps", 50)),
        logging_steps=int(cfg.get("logging_steps", 50)),
        save_strategy="no",
        report_to=[],
        use_cpu=not torch.cuda.is_available(),
        disable_tqdm=True,
        dataloader_num_workers=0,
        seed=seed,
    )
    trainer = Trainer(model=model, args=training, train_dataset=sequences(2048, length, vocab, seed),
                      eval_dataset=sequences(64, length, vocab, seed + 1), callbacks=[BatchTunerCallback()])
    trainer.train()


if __name__ == "__main__":
    main()
