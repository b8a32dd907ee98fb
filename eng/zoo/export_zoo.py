#!/usr/bin/python3
"""Exports the test zoo: torchvision architectures with seeded random weights, as ONNX.

Test-time only (edgec never needs Python). Nothing is downloaded: every model is built from its torchvision
constructor with weights=None and seeded initialisation; batch-norm statistics are then set from a few forward
passes on seeded random images so activations have the spread a trained net has (eval-mode BN with mean 0, var 1
everywhere makes deep nets degenerate).

  /usr/bin/python3 eng/zoo/export_zoo.py OUT_DIR [--models a,b,c] [--list]

Writes OUT_DIR/<name>.onnx and OUT_DIR/zoo.tsv (name, file, parameters, opset, input shape, notes).
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torchvision
import onnx
from onnx import numpy_helper, TensorProto


class TextEncoder(nn.Module):
    """A small transformer text classifier: token ids [1, 64] -> 4 classes (embedding, 2 encoder layers, mean pool)."""

    def __init__(self, vocab=8000, d=192, heads=4, layers=2, classes=4, length=64):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(1, length, d) * 0.02)
        layer = nn.TransformerEncoderLayer(d_model=d, nhead=heads, dim_feedforward=4 * d, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=layers, enable_nested_tensor=False)
        # TransformerEncoder deep-copies one layer, so every layer would start with the same weights and the
        # exporter would store them once; trained layers differ, so each gets its own initialisation.
        for enc in self.encoder.layers:
            for p in enc.parameters():
                if p.dim() > 1:
                    nn.init.xavier_uniform_(p)
                else:
                    nn.init.normal_(p, std=0.02)
        self.head = nn.Linear(d, classes)

    def forward(self, ids):
        x = self.embed(ids) + self.pos
        x = self.encoder(x)
        return self.head(x.mean(dim=1))


def small_vit():
    # ViT-S/16 at half depth: the same blocks as vit_b_16 (patch conv, class token, pre-norm MHA + MLP), 1/8 the cost.
    m = torchvision.models.VisionTransformer(image_size=224, patch_size=16, num_layers=6, num_heads=6,
                                            hidden_dim=384, mlp_dim=1536, num_classes=1000)
    # torchvision zero-initialises the classifier head (it expects fine-tuning): every output would be 0 for every
    # input, and any comparison of such a model says nothing.
    nn.init.normal_(m.heads.head.weight, std=0.02)
    nn.init.normal_(m.heads.head.bias, std=0.02)
    return m


class DetectorHead(nn.Module):
    """SSDlite as edge deployments run it: backbone and head only, raw per-anchor box regressions and class logits
    (NMS and box decoding run outside the network, on the board's CPU)."""

    def __init__(self):
        super().__init__()
        self.ssd = torchvision.models.detection.ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None)
        self.backbone = self.ssd.backbone
        self.head = self.ssd.head

    def forward(self, images):
        feats = list(self.backbone(images).values())
        out = self.head(feats)
        return out["bbox_regression"], out["cls_logits"]


def _conv(c1, c2, k=1, s=1):
    return nn.Sequential(nn.Conv2d(c1, c2, k, s, k // 2, bias=False), nn.BatchNorm2d(c2), nn.SiLU())


class _Bottleneck(nn.Module):
    def __init__(self, c, shortcut=True):
        super().__init__()
        self.cv1, self.cv2, self.add = _conv(c, c, 3), _conv(c, c, 3), shortcut

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class _C2f(nn.Module):
    """Split in two (chunk), a chain of bottlenecks on the second half, every intermediate concatenated."""

    def __init__(self, c1, c2, n=1, shortcut=True):
        super().__init__()
        self.c = c2 // 2
        self.cv1 = _conv(c1, 2 * self.c)
        self.cv2 = _conv((2 + n) * self.c, c2)
        self.m = nn.ModuleList(_Bottleneck(self.c, shortcut) for _ in range(n))

    def forward(self, x):
        y = list(self.cv1(x).chunk(2, 1))
        y.extend(m(y[-1]) for m in self.m)
        return self.cv2(torch.cat(y, 1))


class _SPPF(nn.Module):
    def __init__(self, c1, c2, k=5):
        super().__init__()
        self.cv1, self.cv2, self.pool = _conv(c1, c1 // 2), _conv(c1 // 2 * 4, c2), nn.MaxPool2d(k, 1, k // 2)

    def forward(self, x):
        x = self.cv1(x)
        y1 = self.pool(x)
        y2 = self.pool(y1)
        return self.cv2(torch.cat((x, y1, y2, self.pool(y2)), 1))


class YoloStyle(nn.Module):
    """A YOLOv8-n-shaped detector written here (not Ultralytics code): C2f/SPPF backbone, upsample-and-concat neck,
    decoupled box/class heads at three scales, box bins read by a fixed DFL conv; one [1, 4 + classes, anchors]
    output as deployments export it."""

    def __init__(self, widths=(16, 32, 64, 128, 256), classes=80, bins=16):
        super().__init__()
        a, b, c, d, e = widths
        self.stem = nn.Sequential(_conv(3, a, 3, 2), _conv(a, b, 3, 2), _C2f(b, b))
        self.p3 = nn.Sequential(_conv(b, c, 3, 2), _C2f(c, c, 2))
        self.p4 = nn.Sequential(_conv(c, d, 3, 2), _C2f(d, d, 2))
        self.p5 = nn.Sequential(_conv(d, e, 3, 2), _C2f(e, e), _SPPF(e, e))
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.td4, self.td3 = _C2f(e + d, d, shortcut=False), _C2f(d + c, c, shortcut=False)
        self.down3, self.bu4 = _conv(c, c, 3, 2), _C2f(c + d, d, shortcut=False)
        self.down4, self.bu5 = _conv(d, d, 3, 2), _C2f(d + e, e, shortcut=False)
        self.classes, self.bins = classes, bins
        box_w, cls_w = max(16, c // 4, 4 * bins), max(c, min(classes, 100))
        self.box = nn.ModuleList(nn.Sequential(_conv(x, box_w, 3), _conv(box_w, box_w, 3), nn.Conv2d(box_w, 4 * bins, 1)) for x in (c, d, e))
        self.cls = nn.ModuleList(nn.Sequential(_conv(x, cls_w, 3), _conv(cls_w, cls_w, 3), nn.Conv2d(cls_w, classes, 1)) for x in (c, d, e))
        self.dfl = nn.Conv2d(bins, 1, 1, bias=False).requires_grad_(False)
        self.dfl.weight.data[:] = torch.arange(bins, dtype=torch.float).view(1, bins, 1, 1)

    def forward(self, images):
        p3 = self.p3(self.stem(images))
        p4 = self.p4(p3)
        p5 = self.p5(p4)
        t4 = self.td4(torch.cat((self.up(p5), p4), 1))
        n3 = self.td3(torch.cat((self.up(t4), p3), 1))
        n4 = self.bu4(torch.cat((self.down3(n3), t4), 1))
        n5 = self.bu5(torch.cat((self.down4(n4), p5), 1))
        outs = [torch.cat((self.box[i](x), self.cls[i](x)), 1) for i, x in enumerate((n3, n4, n5))]
        n = outs[0].shape[0]
        x = torch.cat([o.view(n, 4 * self.bins + self.classes, -1) for o in outs], 2)
        box, cls = x.split((4 * self.bins, self.classes), 1)
        anchors = box.shape[2]
        dist = self.dfl(box.view(n, 4, self.bins, anchors).transpose(2, 1).softmax(1)).view(n, 4, anchors)
        return torch.cat((dist, cls.sigmoid()), 1)


# name -> (constructor, input shape, opset, input kind); opsets spread over 11..17 (the most torch 1.13 writes).
ZOO = {
    "resnet18": (lambda: torchvision.models.resnet18(weights=None), (1, 3, 224, 224), 11, "image"),
    "resnet50": (lambda: torchvision.models.resnet50(weights=None), (1, 3, 224, 224), 13, "image"),
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(weights=None), (1, 3, 224, 224), 13, "image"),
    "mobilenet_v3_small": (lambda: torchvision.models.mobilenet_v3_small(weights=None), (1, 3, 224, 224), 14, "image"),
    "mobilenet_v3_large": (lambda: torchvision.models.mobilenet_v3_large(weights=None), (1, 3, 224, 224), 17, "image"),
    "efficientnet_b0": (lambda: torchvision.models.efficientnet_b0(weights=None), (1, 3, 224, 224), 13, "image"),
    "shufflenet_v2_x1_0": (lambda: torchvision.models.shufflenet_v2_x1_0(weights=None), (1, 3, 224, 224), 12, "image"),
    "squeezenet1_1": (lambda: torchvision.models.squeezenet1_1(weights=None), (1, 3, 224, 224), 10, "image"),
    "vit_s6_16": (small_vit, (1, 3, 224, 224), 14, "image"),
    "ssdlite320_mobilenet_v3_large": (DetectorHead, (1, 3, 320, 320), 11, "detector"),
    "text_transformer": (TextEncoder, (1, 64), 14, "tokens"),
    "yolov8n_style": (YoloStyle, (1, 3, 320, 320), 12, "yolo"),
}
FP16_OF = "mobilenet_v2"  # the fp16 copy: mobilenet_v2_fp16


class Segmenter(nn.Module):
    """DeepLabV3-ResNet50 as deployed: the per-pixel class logits only (torchvision returns a dict)."""

    def __init__(self):
        super().__init__()
        self.net = torchvision.models.segmentation.deeplabv3_resnet50(weights=None, weights_backbone=None)

    def forward(self, images):
        return self.net(images)["out"]


# Not in the default zoo (minutes per verb): the memory and time benchmark's models (eng/bench/memory-goals.sh).
# deeplabv3_resnet50_1024_fp16 is the "88 MB-class" model of issue 20: 39.6 M parameters, 1024x1024 input, fp16.
LARGE = {
    "deeplabv3_resnet50_1024": (Segmenter, (1, 3, 1024, 1024), 13, "segmenter"),
}
ALL = {**ZOO, **LARGE}
DEFAULT = list(ZOO) + [FP16_OF + "_fp16"]
KNOWN = DEFAULT + list(LARGE) + [n + "_fp16" for n in LARGE]


def settle_batchnorm(model, shape, kind, gen):
    """Sets every BatchNorm's running mean/var from forward passes on seeded random inputs."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns or kind == "tokens":
        return
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the passes
    model.train()
    with torch.no_grad():
        # Batch-norm statistics do not depend on the resolution: large inputs settle at 256x256.
        settle = tuple(shape[1:2]) + tuple(min(d, 256) for d in shape[2:])
        for _ in range(2):
            x = torch.randn((4,) + settle, generator=gen)
            model(x)
    model.eval()


def export(name, out_dir, seed):
    ctor, shape, opset, kind = ALL[name]
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = ctor().eval()
    settle_batchnorm(model, shape, kind, gen)
    if kind == "tokens":
        dummy = torch.randint(0, 8000, shape, generator=gen, dtype=torch.int64)
        names = (["ids"], ["logits"])
    elif kind == "segmenter":
        dummy = torch.randn(shape, generator=gen)
        names = (["input"], ["out"])
    elif kind == "detector":
        dummy = torch.rand(shape, generator=gen)
        names = (["images"], ["bbox_regression", "cls_logits"])
    elif kind == "yolo":
        dummy = torch.rand(shape, generator=gen)
        names = (["images"], ["output0"])
    else:
        dummy = torch.randn(shape, generator=gen)
        names = (["input"], ["logits"])
    path = os.path.join(out_dir, name + ".onnx")
    tmp = path + ".tmp"
    # Grad mode on: under no_grad, nn.MultiheadAttention takes its fused fast path (aten::_native_multi_head_attention),
    # which torch 1.13 cannot export.
    if True:
        torch.onnx.export(model, dummy, tmp, opset_version=opset, input_names=names[0],
                          output_names=names[1], do_constant_folding=True)
    os.replace(tmp, path)
    params = sum(p.numel() for p in model.parameters())
    return path, params, opset, "x".join(str(s) for s in shape), kind


def fp16_copy(src, dst):
    """An fp16 model as converters write it with keep_io_types: fp16 weights and compute, float32 I/O via Cast."""
    m = onnx.load(src)
    g = m.graph
    for init in g.initializer:
        if init.data_type == TensorProto.FLOAT:
            arr = numpy_helper.to_array(init).astype(np.float16)
            init.CopyFrom(numpy_helper.from_array(arr, init.name))
    for node in g.node:
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value" and a.t.data_type == TensorProto.FLOAT:
                    a.t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(a.t).astype(np.float16), a.t.name))
        if node.op_type == "Cast":
            for a in node.attribute:
                if a.name == "to" and a.i == TensorProto.FLOAT:
                    a.i = TensorProto.FLOAT16
    casts = []
    for inp in g.input:
        if inp.type.tensor_type.elem_type != TensorProto.FLOAT:
            continue
        half = inp.name + "_fp16"
        for node in g.node:
            node.input[:] = [half if i == inp.name else i for i in node.input]
        casts.append(onnx.helper.make_node("Cast", [inp.name], [half], to=TensorProto.FLOAT16, name=half + "_cast"))
    tails = []
    for out in g.output:
        if out.type.tensor_type.elem_type != TensorProto.FLOAT:
            continue
        half = out.name + "_fp16"
        for node in g.node:
            node.output[:] = [half if o == out.name else o for o in node.output]
        tails.append(onnx.helper.make_node("Cast", [half], [out.name], to=TensorProto.FLOAT, name=out.name + "_cast"))
    nodes = casts + list(g.node) + tails
    del g.node[:]
    g.node.extend(nodes)
    del g.value_info[:]
    onnx.checker.check_model(m)
    tmp = dst + ".tmp"
    onnx.save(m, tmp)
    os.replace(tmp, dst)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--models", default=",".join(DEFAULT))
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    if a.list:
        print("\n".join(KNOWN))
        return 0
    os.makedirs(a.out, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    wanted = [n.strip() for n in a.models.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in KNOWN]
    if unknown:
        print(f"export_zoo: unknown model(s) {', '.join(unknown)}; known: {', '.join(KNOWN)}", file=sys.stderr)
        return 2
    rows = []
    for name in wanted:
        if name.endswith("_fp16"):
            base = name[: -len("_fp16")]
            src = os.path.join(a.out, base + ".onnx")
            if not os.path.exists(src):
                export(base, a.out, a.seed)
            dst = os.path.join(a.out, name + ".onnx")
            fp16_copy(src, dst)
            _, shape, opset, kind = ALL[base]
            params = sum(p.numel() for p in ALL[base][0]().parameters())
            rows.append((name, dst, params, opset, "x".join(map(str, shape)), "fp16"))
        else:
            path, params, opset, shape, kind = export(name, a.out, a.seed)
            rows.append((name, path, params, opset, shape, kind))
        print(f"exported {name}: {rows[-1][2]:,} parameters, opset {rows[-1][3]}", flush=True)
    table = os.path.join(a.out, "zoo.tsv")
    lines = {}
    if os.path.exists(table):  # a partial export keeps the rows of models exported before
        with open(table) as f:
            for line in f.read().splitlines()[1:]:
                lines[line.split("\t")[0]] = line
    for r in rows:
        lines[r[0]] = "\t".join(str(x) for x in (r[0], os.path.basename(r[1])) + r[2:])
    order = KNOWN
    with open(table + ".tmp", "w") as f:
        f.write("name\tfile\tparameters\topset\tinput\tkind\n")
        for name in sorted(lines, key=order.index):
            f.write(lines[name] + "\n")
    os.replace(table + ".tmp", table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
