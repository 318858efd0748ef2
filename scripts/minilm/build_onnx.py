"""Builds all-MiniLM-L6-v2 as an ONNX graph from its model.safetensors, with numpy and `onnx`.

The graph is BERT as transformers' BertModel computes it: word + position + token-type
embeddings and LayerNorm, then N layers of multi-head self-attention (an additive mask bias
from attention_mask) and an erf-GELU feed-forward, each followed by a residual LayerNorm.
Inputs input_ids, attention_mask, token_type_ids: INT64 [batch, seq], both dims dynamic;
output last_hidden_state: FP32 [batch, seq, hidden]. Pooling and normalisation are not in
the graph: Alto's pipeline does them (config.json "pipeline").
Run: python build_onnx.py <sentence-transformers folder> <output model.onnx>
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from weights import embedding_weights, layer_weights, read_bert_config, read_safetensors

# LayerNormalization is an ONNX op from opset 17; onnxruntime-node 1.30 runs up to 23.
OPSET = 17
IR_VERSION = 8
# What transformers adds for a masked key: the lowest float32, so exp() of it is exactly 0.
MASK_BIAS = float(np.finfo(np.float32).min)


class Graph:
    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self._n = 0

    def const(self, name: str, array: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def op(self, op_type: str, inputs: list[str], **attrs) -> str:
        self._n += 1
        out = f"{op_type.lower()}_{self._n}"
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=f"n{self._n}_{op_type}", **attrs))
        return out

    def linear(self, x: str, w: str, b: str) -> str:
        return self.op("Add", [self.op("MatMul", [x, w]), b])

    def layer_norm(self, x: str, g: str, b: str, eps: float) -> str:
        return self.op("LayerNormalization", [x, g, b], axis=-1, epsilon=eps)


def build(model_dir: Path) -> onnx.ModelProto:
    config = read_bert_config(model_dir)
    tensors = read_safetensors(model_dir / "model.safetensors")
    hidden, heads = config["hidden_size"], config["num_attention_heads"]
    head_dim = hidden // heads
    eps = float(config["layer_norm_eps"])
    g = Graph()

    emb = embedding_weights(tensors)
    for k, v in emb.items():
        g.const(f"emb.{k}", v)
    g.const("zero", np.array(0, np.int64))
    g.const("one", np.array(1, np.int64))
    g.const("one_f", np.array(1.0, np.float32))
    g.const("mask_bias", np.array(MASK_BIAS, np.float32))
    g.const("scale", np.array(1.0 / math.sqrt(head_dim), np.float32))
    g.const("half", np.array(0.5, np.float32))
    g.const("inv_sqrt2", np.array(1.0 / math.sqrt(2.0), np.float32))
    g.const("split_heads", np.array([0, 0, heads, head_dim], np.int64))
    g.const("merge_heads", np.array([0, 0, hidden], np.int64))
    g.const("axes_12", np.array([1, 2], np.int64))

    # Positions 0..seq-1: the seq length comes from the input's shape, so it stays dynamic.
    seq = g.op("Gather", [g.op("Shape", ["input_ids"]), "one"], axis=0)
    positions = g.op("Range", ["zero", seq, "one"])
    x = g.op(
        "Add",
        [
            g.op("Add", [g.op("Gather", ["emb.word", "input_ids"]), g.op("Gather", ["emb.token_type", "token_type_ids"])]),
            g.op("Gather", ["emb.position", positions]),
        ],
    )
    x = g.layer_norm(x, "emb.ln_g", "emb.ln_b", eps)

    # [batch, 1, 1, seq]: 0 where a key is a real token, MASK_BIAS where it is padding.
    mask = g.op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
    bias = g.op("Mul", [g.op("Sub", ["one_f", mask]), "mask_bias"])
    bias = g.op("Unsqueeze", [bias, "axes_12"])

    for i in range(config["num_hidden_layers"]):
        w = {k: g.const(f"l{i}.{k}", v) for k, v in layer_weights(tensors, i).items()}

        def heads_of(t: str, perm: list[int]) -> str:
            return g.op("Transpose", [g.op("Reshape", [t, "split_heads"])], perm=perm)

        q = heads_of(g.linear(x, w["q_w"], w["q_b"]), [0, 2, 1, 3])  # [b, h, s, d]
        k = heads_of(g.linear(x, w["k_w"], w["k_b"]), [0, 2, 3, 1])  # [b, h, d, s]
        v = heads_of(g.linear(x, w["v_w"], w["v_b"]), [0, 2, 1, 3])  # [b, h, s, d]
        scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [q, k]), "scale"]), bias])
        probs = g.op("Softmax", [scores], axis=-1)
        ctx = g.op("Transpose", [g.op("MatMul", [probs, v])], perm=[0, 2, 1, 3])
        ctx = g.op("Reshape", [ctx, "merge_heads"])
        x = g.layer_norm(g.op("Add", [x, g.linear(ctx, w["o_w"], w["o_b"])]), w["ln1_g"], w["ln1_b"], eps)

        h = g.linear(x, w["i_w"], w["i_b"])
        # BERT's GELU is the exact one: 0.5 * h * (1 + erf(h / sqrt(2))).
        h = g.op("Mul", [g.op("Mul", [h, "half"]), g.op("Add", [g.op("Erf", [g.op("Mul", [h, "inv_sqrt2"])]), "one_f"])])
        x = g.layer_norm(g.op("Add", [x, g.linear(h, w["f_w"], w["f_b"])]), w["ln2_g"], w["ln2_b"], eps)

    g.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"], name="output"))
    ids = lambda name: helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "seq"])  # noqa: E731
    graph = helper.make_graph(
        g.nodes,
        "all-MiniLM-L6-v2",
        [ids("input_ids"), ids("attention_mask"), ids("token_type_ids")],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "seq", hidden])],
        initializer=g.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="alto scripts/minilm")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: build_onnx.py <sentence-transformers folder> <output model.onnx>")
    model = build(Path(sys.argv[1]))
    out = Path(sys.argv[2])
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out))
    print(f"wrote {out} ({out.stat().st_size} bytes, opset {OPSET})")


if __name__ == "__main__":
    main()
