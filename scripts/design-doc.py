#!/usr/bin/env python3
"""Keeps docs/design.md in step with the program's sources (Python 3 standard library only).

    python3 scripts/design-doc.py            rewrite the generated "Instructions" section
    python3 scripts/design-doc.py --check    what CI runs: exit 1 (with a diff) if the
                                             committed doc differs from what the sources give

The section between `<!-- BEGIN GENERATED: instructions -->` and
`<!-- END GENERATED: instructions -->` is rendered from each instruction file
(`programs/insurance_fund/src/instructions/<caller group>/<instruction>.rs`): the handler's doc
comment (summary, any further paragraphs, the `Specification:` bullets), the caller group (the
folder) and the error names the Specification mentions. The rest of the document is
hand-written.

Both modes also fail when:
- an instruction file has no `Specification:` in its handler's doc comment, or the program
  module (`lib.rs`) and the instruction files disagree about which instructions exist;
- a Specification names (in backticks) a CamelCase identifier that is neither a `FundError`
  variant in `src/error.rs`, nor a type, enum variant or event declared in the program, nor one
  of the framework errors listed in FRAMEWORK_ERRORS below: a stale error name;
- the hand-written account sizes (`Fund::SPACE` = N, ...) differ from the sizes computed from
  the account layouts in the committed IDL (which `bash scripts/idl.sh --check` keeps in step
  with the program).
"""

import difflib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = ROOT / "programs" / "insurance_fund" / "src"
INSTRUCTIONS = PROGRAM / "instructions"
ERRORS_RS = PROGRAM / "error.rs"
LIB_RS = PROGRAM / "lib.rs"
IDL = ROOT / "idl" / "insurance_fund.json"
DOC = ROOT / "docs" / "design.md"
DOC_REL = "docs/design.md"

BEGIN = "<!-- BEGIN GENERATED: instructions -->"
END = "<!-- END GENERATED: instructions -->"

# Caller groups (the folders under instructions/), in the order the doc lists them.
GROUPS = [
    ("governance", "Governance", "configuration, claimants, governance transfer, unpause"),
    ("guardian", "Guardian", "emergency pause"),
    ("deposit", "Deposit", "fee deposits"),
    ("keeper", "Keeper", "prices, NAV, rebalancing"),
    ("shortfall", "Shortfall", "the shortfall lifecycle and draws"),
]

# Errors raised by the runtime, Anchor or the token programs, which a Specification may name
# although they are not `FundError` variants.
FRAMEWORK_ERRORS = {
    "IncorrectProgramId": "Solana `InstructionError`",
    "ConstraintDuplicateMutableAccount": "Anchor `ErrorCode`",
}

# Rust and Solana names a Specification may show in backticks that are not errors.
OTHER_NAMES = {"None", "Some", "Ok", "Err", "Pubkey", "InitSpace"}

ANCHOR_ERROR_OFFSET = 6000

# A backticked CamelCase identifier (an error, event, type or variant name).
CAMEL = r"`([A-Z][a-z][A-Za-z0-9]*)`"


def fail(msg):
    print(f"design-doc: {msg}", file=sys.stderr)
    sys.exit(1)


def rel(p):
    return p.relative_to(ROOT).as_posix()


# ---- sources ------------------------------------------------------------------------------


def fund_errors():
    """FundError variants with their Anchor codes, in declaration order."""
    text = ERRORS_RS.read_text()
    m = re.search(r"pub enum FundError\s*\{(.*?)\n\}", text, re.S)
    if not m:
        fail(f"no `pub enum FundError` in {rel(ERRORS_RS)}")
    codes, nxt = {}, 0
    for line in m.group(1).splitlines():
        line = line.split("//")[0].strip()
        v = re.match(r"^([A-Z][A-Za-z0-9]*)\s*(?:=\s*(\d+))?\s*,?$", line)
        if not v:
            continue
        if v.group(2) is not None:
            nxt = int(v.group(2))
        codes[v.group(1)] = ANCHOR_ERROR_OFFSET + nxt
        nxt += 1
    return codes


def program_identifiers():
    """Names of types, enum variants and events declared anywhere in the program (not errors)."""
    names = set(OTHER_NAMES)
    for f in PROGRAM.rglob("*.rs"):
        text = f.read_text()
        names.update(re.findall(r"\b(?:struct|enum|trait|type)\s+([A-Z][A-Za-z0-9]*)", text))
        for body in re.findall(r"\benum\s+[A-Z]\w*\s*\{(.*?)\n\}", text, re.S):
            names.update(re.findall(r"^\s*([A-Z][A-Za-z0-9]*)\b", body, re.M))
    return names


def program_instructions():
    """Instruction modules the `#[program]` module dispatches to."""
    return set(re.findall(r"instructions::(\w+)::\1\(", LIB_RS.read_text()))


def handler_doc(path):
    """The `///` block directly above the handler (`pub fn <instruction>`, named after its
    file), as lines without the `/// ` prefix."""
    lines = path.read_text().splitlines()
    idx = next(
        (i for i, l in enumerate(lines) if re.match(rf"^pub fn {path.stem}\b", l)), None
    )
    if idx is None:
        fail(f"{rel(path)}: no handler `pub fn {path.stem}`")
    doc = []
    j = idx - 1
    while j >= 0 and lines[j].lstrip().startswith("#["):
        j -= 1
    while j >= 0 and lines[j].startswith("///"):
        doc.append(re.sub(r"^/// ?", "", lines[j]))
        j -= 1
    doc.reverse()
    if not doc:
        fail(f"{rel(path)}: the handler has no doc comment")
    return doc


def parse_instruction(group, path):
    doc = handler_doc(path)
    try:
        s = next(i for i, l in enumerate(doc) if l.strip() == "Specification:")
    except StopIteration:
        fail(f"{rel(path)}: the handler's doc comment has no `Specification:` line")
    prose, spec_lines = doc[:s], doc[s + 1 :]
    paragraphs, cur = [], []
    for l in prose:
        if l.strip():
            cur.append(l.rstrip())
        elif cur:
            paragraphs.append(cur)
            cur = []
    if cur:
        paragraphs.append(cur)
    if not paragraphs:
        fail(f"{rel(path)}: the handler's doc comment has no summary line")
    bullets = []
    for l in spec_lines:
        if not l.strip():
            continue
        if l.startswith("- "):
            bullets.append([l.rstrip()])
        elif l.startswith(" ") and bullets:
            bullets[-1].append("  " + l.strip())
        else:
            fail(f"{rel(path)}: Specification line is not a bullet: {l!r}")
    if not bullets:
        fail(f"{rel(path)}: empty Specification")
    # Who may call: the first clause of the first bullet that says so.
    who = next(
        (" ".join(l.strip() for l in b)[2:] for b in bullets
         if re.search(r"\bmay call\b|\bsigns?\b", " ".join(b))),
        None,
    )
    if who is None:
        fail(f"{rel(path)}: no Specification bullet says who may call ('may call' or 'signs')")
    who = re.split(r";\s", who)[0].rstrip(".")
    return {
        "name": path.stem,
        "group": group,
        "path": rel(path),
        "summary": paragraphs[0],
        "notes": paragraphs[1:],
        "bullets": bullets,
        "who": who,
    }


# Files in an instruction folder that hold steps shared by its instructions, not an
# instruction of their own.
SHARED_STEPS = {"keeper/fill.rs"}


def instructions():
    out = []
    for group, _, _ in GROUPS:
        folder = INSTRUCTIONS / group
        for f in sorted(folder.glob("*.rs")):
            if f.name != "mod.rs" and f"{group}/{f.name}" not in SHARED_STEPS:
                out.append(parse_instruction(group, f))
    known_groups = {g for g, _, _ in GROUPS}
    for d in sorted(p for p in INSTRUCTIONS.iterdir() if p.is_dir()):
        if d.name not in known_groups:
            fail(f"unknown caller group folder {rel(d)}: add it to GROUPS in {rel(Path(__file__))}")
    files = {i["name"] for i in out}
    dispatched = program_instructions()
    if files != dispatched:
        fail(
            "instruction files and lib.rs disagree: "
            f"files only {sorted(files - dispatched)}, lib.rs only {sorted(dispatched - files)}"
        )
    return out


# ---- checks -------------------------------------------------------------------------------


def mentioned_errors(ix, errors, others):
    """(program errors, framework errors, unknown names) the Specification mentions, in order."""
    text = "\n".join(l for b in ix["bullets"] for l in b)
    seen, prog, fw, unknown = set(), [], [], []
    for name in re.findall(CAMEL, text):
        if name in seen:
            continue
        seen.add(name)
        if name in errors:
            prog.append(name)
        elif name in FRAMEWORK_ERRORS:
            fw.append(name)
        elif name not in others:
            unknown.append(name)
    return prog, fw, unknown


def field_layout(ty, types, bytemuck):
    """(size, align) of an IDL type: repr(C) with padding when `bytemuck`, Borsh otherwise."""
    prim = {"bool": 1, "u8": 1, "i8": 1, "u16": 2, "i16": 2, "u32": 4, "i32": 4,
            "u64": 8, "i64": 8, "u128": 16, "i128": 16, "f32": 4, "f64": 8}
    if isinstance(ty, str):
        if ty == "pubkey":
            return 32, 1
        if ty in prim:
            size = prim[ty]
            return size, (min(size, 8) if bytemuck else 1)
        fail(f"IDL type {ty!r} has no fixed size")
    if "array" in ty:
        elem, n = ty["array"]
        size, align = field_layout(elem, types, bytemuck)
        return size * n, align
    if "option" in ty and not bytemuck:
        size, _ = field_layout(ty["option"], types, bytemuck)
        return 1 + size, 1
    if "defined" in ty:
        return type_layout(types[ty["defined"]["name"]], types, bytemuck)
    fail(f"IDL type {ty!r} has no fixed size")


def type_layout(t, types, bytemuck):
    body = t["type"]
    if body["kind"] == "struct":
        off, align = 0, 1
        for f in body.get("fields", []):
            size, a = field_layout(f["type"], types, bytemuck)
            off = -(-off // a) * a
            off += size
            align = max(align, a)
        return -(-off // align) * align, align
    if body["kind"] == "enum" and not bytemuck:
        widest = 0
        for v in body["variants"]:
            fields = v.get("fields", [])
            widest = max(
                widest,
                sum(field_layout(f["type"] if isinstance(f, dict) else f, types, False)[0]
                    for f in fields),
            )
        return 1 + widest, 1
    fail(f"IDL type {t['name']} has no fixed size")


def account_sizes():
    """Each account's size including the 8-byte discriminator, from the committed IDL."""
    if not IDL.exists():
        fail(f"{rel(IDL)} is missing: run 'bash scripts/idl.sh'")
    idl = json.loads(IDL.read_text())
    types = {t["name"]: t for t in idl["types"]}
    sizes = {}
    for acc in idl["accounts"]:
        t = types[acc["name"]]
        sizes[acc["name"]] = 8 + type_layout(t, types, t.get("serialization") == "bytemuck")[0]
    return sizes


# ---- rendering ----------------------------------------------------------------------------


def code_list(names, errors):
    return ", ".join(f"`{n}` ({errors[n]})" for n in names)


def esc(cell):
    return cell.replace("|", "\\|")


def render(ixs, errors, others):
    group_label = {g: label for g, label, _ in GROUPS}
    out = [
        BEGIN,
        "<!-- Generated by `python3 scripts/design-doc.py` from the handlers' doc comments;"
        " edit those, not this section. -->",
        "",
        "## Instructions",
        "",
        "One file per instruction under `programs/insurance_fund/src/instructions/<caller group>/`;"
        " the handler's doc comment is its specification, reproduced here. Error codes are Anchor's"
        f" (`{ANCHOR_ERROR_OFFSET}` + the `FundError` discriminant). Every instruction except"
        " `refresh_prices` and `draw`, whose remaining accounts are documented below, refuses"
        " remaining accounts before its handler runs (`ExtraRemainingAccounts`,"
        " `no_remaining_accounts` in `lib.rs`).",
        "",
        "| instruction | caller group | who may call | summary |",
        "|---|---|---|---|",
    ]
    for ix in ixs:
        summary = " ".join(l.strip() for l in ix["summary"])
        out.append(
            f"| [`{ix['name']}`](#{ix['name']}) | {group_label[ix['group']]} | "
            f"{esc(ix['who'])} | {esc(summary)} |"
        )
    problems = []
    for group, label, callers in GROUPS:
        members = [ix for ix in ixs if ix["group"] == group]
        if not members:
            continue
        out += ["", f"### {label}: {callers} (`instructions/{group}/`)"]
        for ix in members:
            prog, fw, unknown = mentioned_errors(ix, errors, others)
            for n in unknown:
                problems.append(
                    f"{ix['path']}: Specification names `{n}`, which is not a FundError variant"
                    f" in {rel(ERRORS_RS)} (nor a program type, event or known framework error)"
                )
            out += ["", f"#### `{ix['name']}`", "",
                    f"Source: `{ix['path']}`. Caller: {ix['who']}.", ""]
            out += ix["summary"]
            for para in ix["notes"]:
                out += [""] + para
            out += ["", "Specification:", ""]
            for b in ix["bullets"]:
                out += b
            out += [""]
            errs = code_list(prog, errors) if prog else "none"
            out.append(f"Errors named: {errs}.")
            if fw:
                out += ["", "Framework errors named: "
                        + ", ".join(f"`{n}` ({FRAMEWORK_ERRORS[n]})" for n in fw) + "."]
    out += ["", END]
    return "\n".join(out), problems


def check_sizes(doc):
    problems = []
    for name, size in account_sizes().items():
        want = f"`{name}::SPACE` = {size:,}"
        if want not in doc:
            found = re.search(rf"`{name}::SPACE` = ([\d,]+)", doc)
            problems.append(
                f"{DOC_REL}: expected {want} (computed from {rel(IDL)}), "
                + (f"found {found.group(1)}" if found else "found no size for it")
            )
    return problems


def main(argv):
    check = False
    if argv == ["--check"]:
        check = True
    elif argv:
        print("usage: python3 scripts/design-doc.py [--check]", file=sys.stderr)
        return 2
    if not DOC.exists():
        fail(f"{DOC_REL} is missing")
    errors = fund_errors()
    others = program_identifiers() - set(errors)
    section, problems = render(instructions(), errors, others)

    current = DOC.read_text()
    if current.count(BEGIN) != 1 or current.count(END) != 1 or current.index(BEGIN) > current.index(END):
        fail(f"{DOC_REL} must contain the markers {BEGIN} and {END} once each, in that order")
    head, rest = current.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    expected = head + section + tail
    problems += check_sizes(expected)
    # the hand-written part must not name errors that no longer exist either
    for name in sorted(set(re.findall(CAMEL, head + tail))):
        if 32 <= len(name) <= 44:
            continue  # a base58 address, e.g. the program id
        if name not in errors and name not in others and name not in FRAMEWORK_ERRORS:
            problems.append(
                f"{DOC_REL} (hand-written part) names `{name}`, which is not a FundError variant"
                f" in {rel(ERRORS_RS)} (nor a program type, event or known framework error)"
            )

    status = 0
    if check:
        if expected != current:
            sys.stdout.writelines(
                difflib.unified_diff(
                    current.splitlines(keepends=True),
                    expected.splitlines(keepends=True),
                    f"{DOC_REL} (committed)",
                    f"{DOC_REL} (from the sources)",
                )
            )
            print(
                f"design-doc: {DOC_REL} is stale: run 'python3 scripts/design-doc.py' and commit it",
                file=sys.stderr,
            )
            status = 1
    elif expected != current:
        DOC.write_text(expected)
        print(f"design-doc: rewrote the instructions section of {DOC_REL}")
    for p in problems:
        print(f"design-doc: {p}", file=sys.stderr)
    if problems:
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
