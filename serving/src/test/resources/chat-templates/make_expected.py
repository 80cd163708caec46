"""Renders each chat template of this folder with transformers' own Jinja environment (the one
apply_chat_template uses) and writes expected.json, which ChatTemplateTest compares against.
Run: . /tmp/pyref/env.sh && python make_expected.py"""
import json
import pathlib

import jinja2
import transformers
from transformers.utils.chat_template_utils import _compile_jinja_template

HERE = pathlib.Path(__file__).parent
CONVERSATIONS = [
    [{"role": "user", "content": "w5 w9 w17"}],
    [{"role": "system", "content": "w40 w41"}, {"role": "user", "content": " w3 w4 "}],
    [{"role": "user", "content": "w7"}, {"role": "assistant", "content": "w8 w9"}, {"role": "user", "content": "w10"}],
]
cases = []
for folder in sorted(p for p in HERE.iterdir() if (p / "tokenizer_config.json").is_file()):
    config = json.loads((folder / "tokenizer_config.json").read_text())
    template = _compile_jinja_template(config["chat_template"])
    for messages in CONVERSATIONS:
        for add_generation_prompt in (True, False):
            rendered = template.render(messages=messages, add_generation_prompt=add_generation_prompt,
                                       bos_token=config["bos_token"], eos_token=config["eos_token"])
            cases.append({"template": folder.name, "messages": messages,
                          "add_generation_prompt": add_generation_prompt, "rendered": rendered})
    try:
        template.render(messages=[{"role": "assistant", "content": "w1"}], add_generation_prompt=True,
                        bos_token=config["bos_token"], eos_token=config["eos_token"])
    except Exception as e:  # raise_exception in the template
        cases.append({"template": folder.name, "messages": [{"role": "assistant", "content": "w1"}],
                      "add_generation_prompt": True, "error": str(e)})
(HERE / "expected.json").write_text(json.dumps(
    {"transformers": transformers.__version__, "jinja2": jinja2.__version__, "cases": cases}, indent=1) + "\n")
