#!/usr/bin/env python3
"""Export an ESM-2 or ProtT5/Ankh encoder to ONNX for PROTEA-stream's embedder.

Not run in CI: it needs PyTorch, transformers and the model weights (a local
folder or a Hugging Face name your machine can download). It writes the pair
the ONNX backend reads (README, Embeddings: the export contract):

    <out>/<name>.onnx   inputs input_ids, attention_mask: int64 [batch, sequence]
                        outputs hidden_states_0 .. hidden_states_<L>: float32
                        [batch, sequence, hidden] (embedding output, then each layer)
    <out>/<name>.json   the model card (tokenizer, hidden_size, num_layers,
                        input_names, output_names, max_length, vocab)

Examples:
    python export_onnx.py facebook/esm2_t6_8M_UR50D --out models/ --name esm2_t6_8M
    python export_onnx.py Rostlab/prot_t5_xl_uniref50 --kind t5 --out models/ --name prot_t5_xl
    python export_onnx.py ElnaggarLab/ankh-base --kind t5 --out models/ --name ankh_base

Models over 2 GB (ProtT5-XL in float32) are written with their weights in an
external-data file beside the .onnx; keep the two together.
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
import sys

RESIDUES = "ACDEFGHIKLMNPQRSTVWYXBZUO"


def load(model_id: str, kind: str):
    import torch  # noqa: F401  (fail early with a clear message when missing)
    from transformers import AutoTokenizer

    if kind == "esm":
        from transformers import EsmModel

        model = EsmModel.from_pretrained(model_id, add_pooling_layer=False)
        tokenizer = AutoTokenizer.from_pretrained(model_id)
    else:
        from transformers import T5EncoderModel

        model = T5EncoderModel.from_pretrained(model_id)
        tokenizer = AutoTokenizer.from_pretrained(model_id)
    model.eval()
    model.float()  # exports in float32: ORT's CPU provider runs it everywhere
    return model, tokenizer


def card_vocab(tokenizer, kind: str) -> dict[str, int]:
    """Residue letters and the specials the backend's tokeniser needs, keyed as it reads them."""
    vocab = tokenizer.get_vocab()
    out: dict[str, int] = {}
    for letter in RESIDUES:
        for token in (letter, "\u2581" + letter):  # SentencePiece marks word starts with U+2581
            if token in vocab:
                out[letter] = vocab[token]
                break
    specials = {"<pad>": tokenizer.pad_token_id, "<unk>": tokenizer.unk_token_id}
    if kind == "esm":
        specials.update({"<cls>": tokenizer.cls_token_id, "<eos>": tokenizer.eos_token_id})
    else:
        specials["</s>"] = tokenizer.eos_token_id
    for name, token_id in specials.items():
        if token_id is None:
            sys.exit(f"the tokenizer has no {name} token: is --kind right?")
        out[name] = int(token_id)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="Hugging Face model name or local folder")
    ap.add_argument("--kind", choices=["esm", "t5"], default="esm", help="esm (ESM-2) or t5 (ProtT5, Ankh)")
    ap.add_argument("--out", default="models", help="folder to write into (PROTEA_MODELS_DIR)")
    ap.add_argument("--name", help="file name without extension (the config's model_name); default: the model's last path part")
    ap.add_argument("--max-length", type=int, help="residues the model accepts (default: 1022 for esm, 1024 for t5)")
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--check", action="store_true", help="compare ONNX Runtime with PyTorch on a test sequence (needs onnxruntime)")
    args = ap.parse_args()

    import torch

    model, tokenizer = load(args.model, args.kind)
    layers = int(model.config.num_hidden_layers)
    hidden = int(model.config.hidden_size if args.kind == "esm" else model.config.d_model)
    name = args.name or os.path.basename(args.model.rstrip("/"))
    os.makedirs(args.out, exist_ok=True)
    onnx_path = os.path.join(args.out, f"{name}.onnx")
    card_path = os.path.join(args.out, f"{name}.json")
    outputs = [f"hidden_states_{i}" for i in range(layers + 1)]

    class HiddenStates(torch.nn.Module):
        """All hidden states as separate outputs, embedding output first."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True)
            return tuple(out.hidden_states)

    vocab = card_vocab(tokenizer, args.kind)
    sample = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ"
    if args.kind == "esm":
        ids = [vocab["<cls>"]] + [vocab.get(c, vocab["<unk>"]) for c in sample] + [vocab["<eos>"]]
    else:
        ids = [vocab.get(c, vocab["<unk>"]) for c in sample] + [vocab["</s>"]]
    input_ids = torch.tensor([ids, ids], dtype=torch.long)
    attention_mask = torch.ones_like(input_ids)
    axes = {0: "batch", 1: "sequence"}
    kwargs = dict(
        input_names=["input_ids", "attention_mask"],
        output_names=outputs,
        dynamic_axes={"input_ids": axes, "attention_mask": axes, **{o: axes for o in outputs}},
        opset_version=args.opset,
        do_constant_folding=True,
    )
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # the TorchScript exporter honours dynamic_axes and output names as given
    with torch.no_grad():
        torch.onnx.export(HiddenStates(model), (input_ids, attention_mask), onnx_path, **kwargs)

    card = {
        "tokenizer": args.kind,
        "hidden_size": hidden,
        "num_layers": layers,
        "input_names": {"input_ids": "input_ids", "attention_mask": "attention_mask"},
        "output_names": outputs,
        "max_length": args.max_length or (1022 if args.kind == "esm" else 1024),
        "vocab": vocab,
        "description": f"{args.model} exported by export_onnx.py (float32, opset {args.opset})",
    }
    with open(card_path, "w") as f:
        json.dump(card, f, indent=2)
        f.write("\n")
    print(f"wrote {onnx_path} and {card_path}: {layers} layers, hidden {hidden}, {len(outputs)} outputs")

    if args.check:
        import numpy as np
        import onnxruntime as ort

        session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
        got = session.run(outputs, {"input_ids": input_ids.numpy(), "attention_mask": attention_mask.numpy()})
        with torch.no_grad():
            want = HiddenStates(model)(input_ids, attention_mask)
        worst = max(float(np.max(np.abs(g - w.numpy()))) for g, w in zip(got, want))
        print(f"check: largest |ONNX - PyTorch| over all hidden states = {worst:.2e}")
        if worst > 1e-3:
            sys.exit("check failed: the export does not reproduce PyTorch")


if __name__ == "__main__":
    main()
