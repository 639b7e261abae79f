"""Reading a training config from a script: the whole file as a dict. Standard library only
(PyYAML when installed)."""

import json


def _scalar(value):
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def read_config(path):
    """The config as a dict: JSON, or YAML with PyYAML when installed, else a reader for flat
    `key: value` lines (nested sections such as `tuner:` are skipped: they are Batch Tuner's)."""
    with open(path, "r", encoding="utf-8") as f:
        text = f.read()
    if path.endswith(".json"):
        return json.loads(text)
    try:
        import yaml
    except ImportError:
        yaml = None
    if yaml is not None:
        return yaml.safe_load(text) or {}
    out = {}
    for line in text.splitlines():
        if not line or line[0] in " \t#" or ":" not in line:
            continue
        key, value = line.split(":", 1)
        value = value.split("#", 1)[0].strip().strip("'\"")
        if value:
            out[key.strip()] = _scalar(value)
    return out
