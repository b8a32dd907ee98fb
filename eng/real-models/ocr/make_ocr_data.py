# Renders labelled text-line images with ImageMagick and the installed fonts (no downloads).
# Usage: make_ocr_data.py OUT [N [SEED]]   (OCR_KEYS: PaddleOCR's ppocr_keys_v1.txt, for the Chinese characters)
# OUT/cls-data/{0,180}/*.png : upright and upside-down lines (PaddleOCR's text-direction classifier labels)
# OUT/rec-data/*.png + OUT/rec-data/text.tsv : lines with their text (for the recogniser's character accuracy)
import os, random, subprocess, sys, concurrent.futures as cf
out = sys.argv[1]; n = int(sys.argv[2]) if len(sys.argv) > 2 else 400
rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 19)
latin = ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/opentype/urw-base35/NimbusSans-Regular.otf",
         "/usr/share/fonts/opentype/urw-base35/C059-Roman.otf", "/usr/share/fonts/opentype/urw-base35/URWGothic-Book.otf",
         "/usr/share/fonts/opentype/urw-base35/P052-Roman.otf", "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"]
cjk = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"
words = ("edge board model compress quantize latency memory power sensor device fleet camera audio signal"
         " invoice total price order number street station market river window garden coffee ticket exit"
         " open closed north south east west monday friday summer winter").split()
keys = [l.rstrip("\n") for l in open(os.environ.get("OCR_KEYS") or os.path.join(os.path.dirname(__file__), "ppocr_keys_v1.txt"), encoding="utf-8")]
hanzi = [k for k in keys[:800] if len(k) == 1 and '\u4e00' <= k <= '\u9fff']
def text_for(i):
    kind = i % 4
    if kind == 0: return " ".join(rnd.choice(words) for _ in range(rnd.randint(1, 2))), rnd.choice(latin)
    if kind == 1: return f"{rnd.randint(1, 9999)}.{rnd.randint(0, 99):02d}", rnd.choice(latin)
    if kind == 2: return rnd.choice(words).upper() + " " + str(rnd.randint(10, 999)), rnd.choice(latin)
    return "".join(rnd.choice(hanzi) for _ in range(rnd.randint(2, 6))), cjk
def render(path, text, font, rotate):
    fg = rnd.randint(0, 70); bg = rnd.randint(190, 255)
    # -seed fixes ImageMagick's noise; no date chunks: the same seed gives the same bytes.
    args = ["/usr/bin/convert", "-seed", str(rnd.randint(1, 2**31 - 1)), "-background", f"rgb({bg},{bg},{bg})", "-fill", f"rgb({fg},{fg},{fg})", "-font", font,
            "-pointsize", str(rnd.randint(28, 44)), f"label:{text}", "-bordercolor", f"rgb({bg},{bg},{bg})",
            "-border", f"{rnd.randint(2, 10)}x{rnd.randint(2, 8)}", "-attenuate", "0.3", "+noise", "Gaussian"]
    if rotate: args += ["-rotate", "180"]
    return args + ["-depth", "8", "-type", "TrueColor", "-define", "png:exclude-chunks=date,time", path]
jobs = []
for c in ("0", "180"): os.makedirs(f"{out}/cls-data/{c}", exist_ok=True)
os.makedirs(f"{out}/rec-data", exist_ok=True)
tsv = []
for i in range(n):
    text, font = text_for(i)
    rot = i % 2 == 1
    jobs.append(render(f"{out}/cls-data/{'180' if rot else '0'}/{i:05d}.png", text, font, rot))
for i in range(n):
    text, font = text_for(i + 7)
    jobs.append(render(f"{out}/rec-data/{i:05d}.png", text, font, False)); tsv.append(f"{i:05d}.png\t{text}")
with cf.ThreadPoolExecutor(4) as ex:
    for r in ex.map(lambda a: subprocess.run(a, capture_output=True), jobs):
        if r.returncode: print(r.stderr.decode()[:300]); sys.exit(1)
open(f"{out}/rec-data/text.tsv", "w", encoding="utf-8").write("\n".join(tsv) + "\n")
print(f"{n} cls images, {n} rec images in {out}")
