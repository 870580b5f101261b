#!/usr/bin/env python3
"""Checks that doc/memcached.md documents everything the module exports.

    check_doc.py --src ROOT --doc DOC          the check (ctest doc_covers_every_export)
    check_doc.py --src ROOT --doc DOC --self-test
                                              proves the check fails when it
                                              should (ctest doc_check_detects_gaps)

What is exported is read from the SOURCE, never from a list kept here: every
C file under kemi/ and pv/ is scanned for the export tables by their type:
  sr_kemi_t       KEMI functions   KSR.memcached.NAME
  cmd_export_t    cfg functions    NAME(...) in kamailio.cfg
  param_export_t  module params    modparam("memcached", "NAME", ...)
  pv_export_t     pseudo-variables $NAME(...)
  rpc_export_t    RPC commands     memcached.NAME
  stat_export_t   statistics       memcached:NAME
A table that cannot be found, or found empty, fails the check (a parser that
silently finds nothing would pass every doc).

Documented means: a markdown heading (outside fenced code) names the item, as
Kamailio's module docs give each its own subsection:
  KEMI    a heading holding `KSR.memcached.NAME` (followed by "(" or the end)
  cfg     a heading holding `NAME(` (backtick, name, parenthesis)
  param   a heading holding `NAME` in backticks
  PV      a heading holding `$NAME(`
  RPC     a heading holding memcached.NAME (not preceded by "KSR.")
  stat    a heading holding memcached:NAME
and the item's section (up to the next heading of the same or a higher level)
carries its example:
  KEMI    fenced code blocks in lua, python and js
  cfg     a fenced code block calling NAME(
  param   modparam("memcached", "NAME", ...)
  PV      a fenced code block using $NAME(
  RPC     a kamcmd command line running memcached.NAME
Python 3 standard library only.
"""
import argparse
import os
import re
import shutil
import sys
import tempfile

KINDS = ("kemi", "cfg", "param", "pv", "rpc", "stat")

# C type of the export table -> kind
TABLE_TYPES = {
    "sr_kemi_t": "kemi",
    "cmd_export_t": "cfg",
    "param_export_t": "param",
    "pv_export_t": "pv",
    "rpc_export_t": "rpc",
    "stat_export_t": "stat",
}

# one entry of each table, as it starts in the C source
ENTRY_RE = {
    # { str_init("memcached"), str_init("get"), ...
    "kemi": re.compile(r'\{\s*str_init\(\s*"memcached"\s*\)\s*,\s*'
                       r'str_init\(\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*\)'),
    # {"mc_get", MC_CFG_CMD(w_mc_get), 2, ...
    "cfg": re.compile(r'\{\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*,'),
    # {"servers", PARAM_STRING ...
    "param": re.compile(r'\{\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*,'),
    # { {"mct", sizeof("mct") - 1}, ...
    "pv": re.compile(r'\{\s*\{\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*,'),
    # {"memcached.get", mc_rpc_get, ...
    "rpc": re.compile(r'\{\s*"(memcached\.[A-Za-z_][A-Za-z0-9_]*)"\s*,'),
    # {"hits", 0, &_mc_st_hits},
    "stat": re.compile(r'\{\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*,'),
}


def strip_c_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def table_bodies(text, ctype):
    """Bodies of every `ctype name[] = { ... };` in text (braces matched)."""
    bodies = []
    for m in re.finditer(r"\b%s\s+[A-Za-z_][A-Za-z0-9_]*\s*\[\s*\]\s*=\s*\{"
                         % re.escape(ctype), text):
        depth, i = 1, m.end()
        while i < len(text) and depth:
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
            i += 1
        bodies.append(text[m.end():i - 1])
    return bodies


def source_exports(root):
    """{kind: [names in source order]} from every .c under kemi/ and pv/."""
    found = {k: [] for k in KINDS}
    tables = {k: 0 for k in KINDS}
    for sub in ("kemi", "pv"):
        d = os.path.join(root, sub)
        for dirpath, _, files in os.walk(d):
            for fn in sorted(files):
                if not fn.endswith(".c"):
                    continue
                with open(os.path.join(dirpath, fn), encoding="utf-8",
                          errors="replace") as f:
                    text = strip_c_comments(f.read())
                for ctype, kind in TABLE_TYPES.items():
                    for body in table_bodies(text, ctype):
                        tables[kind] += 1
                        for name in ENTRY_RE[kind].findall(body):
                            if name not in found[kind]:
                                found[kind].append(name)
    problems = []
    for kind in KINDS:
        if tables[kind] == 0:
            problems.append("source: no %s table found under %s/kemi or "
                            "%s/pv" % (kind, root, root))
        elif not found[kind]:
            problems.append("source: the %s table has no entry this check "
                            "can read" % kind)
    return found, problems


# ---- the doc ---------------------------------------------------------------

def doc_sections(md):
    """[(level, heading text, section text)] for every heading outside fenced
    code; a section runs to the next heading of the same or a higher level."""
    lines = md.split("\n")
    heads = []
    fence = None
    for i, line in enumerate(lines):
        m = re.match(r"^\s*(```+|~~~+)", line)
        if m:
            mark = m.group(1)[0] * 3
            if fence is None:
                fence = mark
            elif mark == fence:
                fence = None
            continue
        if fence is None:
            h = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
            if h:
                heads.append((i, len(h.group(1)), h.group(2)))
    out = []
    for n, (i, level, text) in enumerate(heads):
        end = len(lines)
        for j, lv, _ in heads[n + 1:]:
            if lv <= level:
                end = j
                break
        out.append((level, text, "\n".join(lines[i:end])))
    return out


def heading_matches(kind, name, heading):
    if kind == "kemi":
        return re.search(r"KSR\.memcached\.%s(?![A-Za-z0-9_])" % re.escape(name),
                         heading) is not None
    if kind == "cfg":
        return ("`%s(" % name) in heading
    if kind == "param":
        return ("`%s`" % name) in heading
    if kind == "pv":
        return ("$%s(" % name) in heading
    if kind == "rpc":
        return re.search(r"(?<!KSR\.)(?<![A-Za-z0-9_.])%s(?![A-Za-z0-9_])"
                         % re.escape(name), heading) is not None
    if kind == "stat":
        return re.search(r"memcached:%s(?![A-Za-z0-9_])" % re.escape(name),
                         heading) is not None
    raise ValueError(kind)


def fenced_blocks(section):
    """[(info string, body)] of the fenced code blocks in section."""
    return re.findall(r"^\s*```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)^\s*```",
                      section, flags=re.S | re.M)


def example_problem(kind, name, section):
    """None, or what the item's section lacks."""
    if kind == "kemi":
        langs = {info.lower() for info, _ in fenced_blocks(section)}
        want = {"lua": {"lua"}, "python": {"python", "py"},
                "js": {"js", "javascript"}}
        missing = [k for k, alts in want.items() if not (langs & alts)]
        if missing:
            return "no %s example" % "/".join(missing)
        return None
    if kind == "cfg":
        call = re.compile(r"(?<![A-Za-z0-9_.$])%s\(" % re.escape(name))
        if not any(call.search(body) for _, body in fenced_blocks(section)):
            return "no kamailio.cfg example calling %s(...)" % name
        return None
    if kind == "param":
        if not re.search(r'modparam\(\s*"memcached"\s*,\s*"%s"\s*,'
                         % re.escape(name), section):
            return 'no modparam("memcached", "%s", ...) example' % name
        return None
    if kind == "pv":
        if not any(("$%s(" % name) in body
                   for _, body in fenced_blocks(section)):
            return "no kamailio.cfg example using $%s(...)" % name
        return None
    if kind == "rpc":
        if not re.search(r"kamcmd\b[^\n]*\s%s(?![A-Za-z0-9_])"
                         % re.escape(name), section):
            return "no kamcmd example running %s" % name
        return None
    return None


def label(kind, name):
    return {"kemi": "KEMI function KSR.memcached.%s",
            "cfg": "cfg function %s",
            "param": 'param "%s"',
            "pv": "pseudo-variable $%s",
            "rpc": "RPC command %s",
            "stat": "statistic memcached:%s"}[kind] % name


def check(root, doc_path):
    """[problem strings]; empty when the doc covers every export."""
    exports, problems = source_exports(root)
    try:
        with open(doc_path, encoding="utf-8") as f:
            md = f.read()
    except OSError as e:
        return problems + ["doc: cannot read %s (%s)" % (doc_path, e)]
    sections = doc_sections(md)
    for kind in KINDS:
        for name in exports[kind]:
            hits = [s for lv, h, s in sections if heading_matches(kind, name, h)]
            if not hits:
                problems.append("missing: %s has no heading in %s"
                                % (label(kind, name), doc_path))
                continue
            lacks = [example_problem(kind, name, s) for s in hits]
            if all(lacks):
                problems.append("incomplete: %s: %s"
                                % (label(kind, name), lacks[0]))
    return problems


# ---- self-test: the check must fail when something is missing --------------

def remove_section(md, kind, name):
    """md without the section whose heading names the item; its heading is
    gone, so is its body. Raises if there is no such section."""
    for level, heading, section in doc_sections(md):
        if heading_matches(kind, name, heading):
            start = md.index(section)
            return md[:start] + md[start + len(section):]
    raise AssertionError("self-test: no section for %s" % label(kind, name))


def self_test(root, doc_path):
    failures = []
    base = check(root, doc_path)
    if base:
        failures.append("the real doc must pass before the self-test means "
                        "anything:\n  " + "\n  ".join(base))
        return failures
    exports, _ = source_exports(root)
    with open(doc_path, encoding="utf-8") as f:
        md = f.read()
    tmp = tempfile.mkdtemp(prefix="doccheck-")
    try:
        # 1. one section of each kind removed: the check fails naming it
        for kind in KINDS:
            name = exports[kind][len(exports[kind]) // 2]
            cut = os.path.join(tmp, "cut-%s.md" % kind)
            with open(cut, "w", encoding="utf-8") as f:
                f.write(remove_section(md, kind, name))
            got = check(root, cut)
            want = "missing: %s has no heading" % label(kind, name)
            if not any(p.startswith(want) for p in got):
                failures.append("removing the section of %s was not "
                                "detected; got: %s" % (label(kind, name), got))
            print("self-test: without the section of %s -> %d problem(s): %s"
                  % (label(kind, name), len(got), "; ".join(got)))

        # 2. a KEMI function's Python example removed: reported as incomplete
        name = exports["kemi"][0]
        for level, heading, section in doc_sections(md):
            if heading_matches("kemi", name, heading):
                stripped = re.sub(r"```python\n.*?```\n?", "", section,
                                  flags=re.S)
                break
        cut = os.path.join(tmp, "cut-python.md")
        with open(cut, "w", encoding="utf-8") as f:
            f.write(md.replace(section, stripped))
        got = check(root, cut)
        if not any(p.startswith("incomplete: %s" % label("kemi", name))
                   for p in got):
            failures.append("a missing Python example was not detected; "
                            "got: %s" % got)
        print("self-test: without the Python example of %s -> %s"
              % (label("kemi", name), got))

        # 2b. a cfg function's example removed: reported as incomplete
        name = exports["cfg"][0]
        for level, heading, section in doc_sections(md):
            if heading_matches("cfg", name, heading):
                stripped = re.sub(r"```[^\n]*\n.*?```\n?", "", section,
                                  flags=re.S)
                break
        cut = os.path.join(tmp, "cut-cfg-example.md")
        with open(cut, "w", encoding="utf-8") as f:
            f.write(md.replace(section, stripped))
        got = check(root, cut)
        if not any(p.startswith("incomplete: %s" % label("cfg", name))
                   for p in got):
            failures.append("a missing cfg example was not detected; "
                            "got: %s" % got)
        print("self-test: without the example of %s -> %s"
              % (label("cfg", name), got))

        # 3. a new export added to each source table: the check fails naming it
        src = os.path.join(tmp, "src")
        for sub in ("kemi", "pv"):
            shutil.copytree(os.path.join(root, sub), os.path.join(src, sub))
        additions = {
            "kemi": ("kemi/ki_memcached.c", "sr_kemi_t",
                     '{ str_init("memcached"), str_init("frobnicate"), '
                     'SR_KEMIP_INT, ki_mc_status, { SR_KEMIP_NONE, '
                     'SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE, '
                     'SR_KEMIP_NONE, SR_KEMIP_NONE } },\n', "frobnicate"),
            "cfg": ("kemi/mc_cfg.c", "cmd_export_t",
                    '{"mc_frobnicate", MC_CFG_CMD(w_mc_status), 0, 0, 0, '
                    'ANY_ROUTE},\n', "mc_frobnicate"),
            "param": ("kemi/mod_memcached.c", "param_export_t",
                      '{"frob_level", PARAM_INT, &frob},\n', "frob_level"),
            "pv": ("kemi/mod_memcached.c", "pv_export_t",
                   '{ {"mcfrob", 6}, PVT_OTHER, 0, 0, 0, 0, 0, 0 },\n',
                   "mcfrob"),
            "rpc": ("kemi/mc_rpc.c", "rpc_export_t",
                    '{"memcached.frob", mc_rpc_get, _mc_rpc_get_doc, 0},\n',
                    "memcached.frob"),
            "stat": ("kemi/mc_mod.c", "stat_export_t",
                     '{"frobs", 0, &_mc_st_hits},\n', "frobs"),
        }
        for kind, (rel, ctype, entry, name) in additions.items():
            path = os.path.join(src, rel)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            m = re.search(r"\b%s\s+\w+\s*\[\s*\]\s*=\s*\{" % ctype, text)
            assert m, "self-test: no %s table in %s" % (ctype, rel)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text[:m.end()] + "\n\t" + entry + text[m.end():])
            got = check(src, doc_path)
            want = "missing: %s has no heading" % label(kind, name)
            if not any(p.startswith(want) for p in got):
                failures.append("a new %s in the source was not detected; "
                                "got: %s" % (label(kind, name), got))
            print("self-test: source with a new %s -> %s"
                  % (label(kind, name), got))
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)

        # 4. a table the parser cannot read fails, never passes silently
        path = os.path.join(src, "kemi", "mc_mod.c")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        with open(path, "w", encoding="utf-8") as f:
            f.write(text.replace("stat_export_t", "stat_export_renamed_t"))
        got = check(src, doc_path)
        if not any("no stat table" in p for p in got):
            failures.append("a missing stat table was not detected; got: %s"
                            % got)
        print("self-test: source without a stat table -> %s" % got)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", required=True, help="project root")
    ap.add_argument("--doc", required=True, help="doc/memcached.md")
    ap.add_argument("--self-test", action="store_true",
                    help="prove the check detects gaps")
    args = ap.parse_args()

    if args.self_test:
        failures = self_test(args.src, args.doc)
        if failures:
            print("SELF-TEST FAILED:\n  " + "\n  ".join(failures))
            return 1
        print("self-test passed: every removal and addition was detected")
        return 0

    exports, _ = source_exports(args.src)
    problems = check(args.src, args.doc)
    for kind in KINDS:
        print("%-6s %2d: %s" % (kind, len(exports[kind]),
                                 " ".join(exports[kind])))
    if problems:
        print("%s does not cover every export (%d problem(s)):"
              % (args.doc, len(problems)))
        for p in problems:
            print("  " + p)
        return 1
    print("%s documents all %d exports" % (
        args.doc, sum(len(v) for v in exports.values())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
