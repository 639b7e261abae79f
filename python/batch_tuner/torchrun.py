"""`python -m batch_tuner.torchrun [torchrun arguments]`: torchrun (torch.distributed.run) that
honours Batch Tuner's lifeline (BATCH_TUNER_LIFELINE_FD). torchrun starts its workers with the
inherited fds closed, so they cannot see the pipe; this launcher watches it instead and, when
Batch Tuner is gone, ends itself and every worker under it."""

from . import lifeline


def main():
    lifeline.watch()
    from torch.distributed.run import main as torchrun_main

    torchrun_main()


if __name__ == "__main__":
    main()
