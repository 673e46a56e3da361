#!/usr/bin/python3
# options.py - every command's options as docs/datavet.1.md (the man page, and --help) lists
# them against those the code parses (the getopt_long tables, slurm's own parser), both ways:
# name, short letter, and whether it takes a value; then each command run with an unknown
# option and with a value option left without its value (usage, exit 2).
# Usage: python3 tests/cli/options.py BIN SRCDIR
import os
import re
import shutil
import subprocess
import sys
import tempfile

BIN, SRC = os.path.abspath(sys.argv[1]), sys.argv[2]
fails = []
checks = 0


def bad(msg):
    fails.append(msg)
    print("not ok - " + msg)


# ---------------------------------------------------------------- the man page
def man_sections():
    """{'hash': text, 'list': text, ...}: each '## datavet CMD' section of the man page."""
    text = open(os.path.join(SRC, "docs/datavet.1.md"), encoding="utf-8").read()
    out, cur, buf = {}, None, []
    for line in text.split("\n"):
        m = re.match(r"^## datavet ([a-z-]+)", line)
        if m or line.startswith("## "):
            if cur:
                out[cur] = "\n".join(buf)
            cur, buf = (m.group(1) if m else None), []
            continue
        if cur:
            buf.append(line)
    if cur:
        out[cur] = "\n".join(buf)
    return out


# an option line of an Options list: "  -o, --output FILE   what it does" (the value, if any,
# one space after the name; the description after it); "  --fast, --max-pixels N  ..." names
# two
VAL = r"(?:[A-Z][A-Za-z0-9._,|:-]*|[a-z0-9]+(?:\|[a-z0-9]+)+)"
OPT1 = re.compile(r"(?:-([A-Za-z]), )?--([a-z0-9][a-z0-9-]*)(?:[ =](" + VAL + r"))?(?=, --| |$)")
# a short option alone: "  -j N   ..."
SHORTLINE = re.compile(r"^ {2,8}-([A-Za-z])(?: (" + VAL + r"))?(?: {2,}|$)")


def opt_line(line):
    """[(long, short, takes_value)] of an option line, [] if it is not one."""
    if not re.match(r"^ {2,8}-", line):
        return []
    out, pos = [], len(line) - len(line.lstrip(" "))
    while True:
        m = OPT1.match(line, pos)
        if not m:
            break
        out.append((m.group(2), m.group(1), m.group(3) is not None))
        pos = m.end()
        if line.startswith(", ", pos):
            pos += 2
        else:
            break
    return out


def man_options(text, start=None, stop=None):
    """{long: (short or None, takes_value)} from the Options lines of text (between the line
    matching start and the next unindented line, when start is given), and the usage lines'
    options (value: a word after them that is not an option or bracket)."""
    opts = {}
    lines = text.split("\n")
    inside = start is None
    for line in lines:
        if start is not None:
            if re.match(start, line):
                inside = True
                continue
            if inside and line and not line.startswith(" "):
                inside = False
        if not inside:
            continue
        found = opt_line(line)
        for (name, short, val) in found:
            opts[name] = (short, val)
        if found:
            continue
        m = SHORTLINE.match(line)
        if m:
            opts["-" + m.group(1)] = (m.group(1), m.group(2) is not None)
    return opts


def usage_options(text, sub=None):
    """The options named in the usage lines (of the subcommand sub)."""
    opts = {}
    for line in text.split("\n"):
        if not re.match(r"^(usage:)? +datavet ", line) and not line.startswith("usage:"):
            if opts or not line.strip():
                break
            continue
        if sub and not re.search(r"datavet \w+ " + sub + r"\b", line):
            continue
        for m in re.finditer(r"(?<![\w-])(--[a-z0-9-]+|-[A-Za-z])(?:[ =](" + VAL + r"))?", line):
            name = m.group(1)[2:] if m.group(1).startswith("--") else m.group(1)
            opts[name] = (m.group(1)[1] if len(name) == 2 else None, m.group(2) is not None)
    return opts


def fold(opts):
    """A short option of the usage line ("-o") whose long form is listed ("-o, --output") is
    that one."""
    for k in [k for k in opts if len(k) == 2 and k[0] == "-"]:
        if any(s == k[1] for (name, (s, _)) in opts.items() if name != k):
            del opts[k]
    return opts


# ---------------------------------------------------------------- the code
def c_function_tables(path):
    """{function: (shortopts, {long: (short or None, takes_value)})} for each getopt_long
    call of the file, by the function it is in."""
    src = open(path, encoding="utf-8").read()
    macros = dict(re.findall(r'#define (\w+) "([^"]*)"', src))
    tables = {}
    for m in re.finditer(r"struct option (\w+)\[\] = \{(.*?)\n?\s*\};", src, re.S):
        tables.setdefault(m.group(1), []).append((m.start(), m.group(2)))
    out = {}
    for m in re.finditer(r"getopt_long\(argc, argv, (\"[^\"]*\"|\w+), (\w+), NULL\)", src):
        shortopts = m.group(1)
        shortopts = shortopts.strip('"') if shortopts.startswith('"') else macros[shortopts]
        # the table: the last of that name defined before the call
        body = [b for (pos, b) in tables[m.group(2)] if pos < m.start()][-1]
        fn = re.findall(r"\n(?:static )?int (\w+)\(", src[: m.start()])[-1]
        opts = {}
        for e in re.finditer(r'\{"([a-z0-9-]+)", (no_argument|required_argument|optional_argument), NULL, ([^}]*)\}', body):
            val = e.group(3).strip()
            short = val[1] if re.match(r"^'.'$", val) and val[1] in shortopts else None
            opts[e.group(1)] = (short, e.group(2) != "no_argument")
        # short options with no long form
        longshorts = {s for (s, _) in opts.values() if s}
        for i, ch in enumerate(shortopts):
            if ch == ":" or ch in longshorts:
                continue
            opts["-" + ch] = (ch, shortopts[i + 1 : i + 2] == ":")
        out[fn] = opts
    return out


def slurm_options():
    """slurm parses its arguments itself: the option names each of its functions compares."""
    src = open(os.path.join(SRC, "cli/cmd_slurm.c"), encoding="utf-8").read()
    funcs = {}
    for m in re.finditer(r"\n(?:static )?int (\w+)\([^)]*\)\n\{(.*?)\n\}", src, re.S):
        funcs[m.group(1)] = m.group(2)
    return funcs


# ---------------------------------------------------------------- compare
def compare(cmd, man, code):
    global checks
    checks += 1
    for name in ("help",):
        man.pop(name, None)
        code.pop(name, None)
    for name in sorted(set(man) | set(code)):
        shown = ("--" + name) if not name.startswith("-") else name
        if name not in code:
            bad("%s: %s is in the man page, not in the code" % (cmd, shown))
        elif name not in man:
            bad("%s: %s is parsed by the code, not in the man page" % (cmd, shown))
        else:
            ms, mv = man[name]
            cs, cv = code[name]
            if ms != cs and ms is not None:
                bad("%s: %s: short form -%s in the man page, %s in the code" % (cmd, shown, ms, "-" + cs if cs else "none"))
            if mv != cv:
                bad("%s: %s: the man page says it %s a value, the code %s" % (cmd, shown, "takes" if mv else "takes no", "does" if cv else "does not"))


def main():
    sec = man_sections()
    funcs = {}
    for f in sorted(os.listdir(os.path.join(SRC, "cli"))):
        if f.startswith("cmd_") and f.endswith(".c"):
            funcs.update(c_function_tables(os.path.join(SRC, "cli", f)))
    fnmap = {
        "hash": "cmd_hash", "match": "cmd_match", "fetch": "cmd_fetch", "scan": "cmd_scan",
        "merge": "cmd_merge", "export": "cmd_export", "inspect": "inspect_main",
        "neighbors": "cmd_neighbors", "inventory": "cmd_inventory", "keygen": "cmd_keygen",
        "verify": "cmd_verify",
    }
    for cmd, fn in fnmap.items():
        man = usage_options(sec[cmd])
        man.update(man_options(sec[cmd]))
        compare(cmd, fold(man), dict(funcs[fn]))
    # list build and diff (info takes no option but -h)
    man = usage_options(sec["list"], "build")
    man.update(man_options(sec["list"], r"^Options of list build"))
    compare("list build", fold(man), dict(funcs["list_build"]))
    compare("list info", usage_options(sec["list"], "info"), dict(funcs["list_info"]))
    man = usage_options(sec["list"], "diff")
    man.update(man_options(sec["list"], r"^Options of list diff"))
    compare("list diff", fold(man), dict(funcs["list_diff"]))
    # slurm: submit's own options (scan's pass through), status/wait, resubmit
    sf = slurm_options()
    names = lambda body: set(re.findall(r'strcmp\((?:name|a|argv\[i\]), "--([a-z0-9-]+)"\)', body))
    scan_code = set(funcs["cmd_scan"])
    man = man_options(sec["slurm"], r"^Options of submit")
    sub_fn = "cmd_submit"
    code = names(sf[sub_fn]) - scan_code - {"help"}
    # the scan options submit refuses (they are the array's or merge's to give) are named too
    refused = set(re.findall(r'"--([a-z-]+)"', re.search(r'strcmp\(name, "--shards"\).*?\{', sf[sub_fn], re.S).group(0)))
    compare("slurm submit", {k: (v[0], None) for k, v in man.items()}, {k: (("k" if k == "shards-per-task" else None), None) for k in code - refused})
    for sub, fn in (("status", "cmd_status"), ("wait", "cmd_status"), ("resubmit", "cmd_resubmit")):
        man = usage_options(sec["slurm"], sub)
        code = names(sf[fn]) - {"help"}
        if sub == "status":
            code -= {"interval", "timeout"}  # wait's (the same function, `wait &&`)
        if sub == "resubmit":
            # submit's options it refuses by name, pointing to submit
            code -= set(re.findall(r'"--([a-z0-9-]+)"', re.search(r"static const char \*const submit_only\[\].*?;", sf[fn], re.S).group(0))) if "submit_only" in sf[fn] else set()
        compare("slurm " + sub, {k: (None, None) for k in man}, {k: (None, None) for k in code})

    # ------------------------------------------------------------ run: unknown option, no value
    runs = [["hash"], ["match"], ["fetch"], ["scan"], ["merge"], ["export"], ["inspect"],
            ["neighbors"], ["inventory"], ["keygen"], ["verify"], ["list", "build"],
            ["list", "info"], ["list", "diff"], ["slurm", "submit"], ["slurm", "status"],
            ["slurm", "wait"], ["slurm", "resubmit"]]
    for c in runs:
        r = subprocess.run([BIN] + c + ["--no-such-option", "x"], capture_output=True, text=True)
        if r.returncode != 2 or "usage:" not in r.stderr or "no-such-option" not in r.stderr:
            bad("%s --no-such-option: exit %d, stderr %r (want 2, the option named, usage)"
                % (" ".join(c), r.returncode, r.stderr[-300:]))
    for cmd, fn in list(fnmap.items()) + [("list build", "list_build")]:
        for name, (short, val) in funcs[fn].items():
            if not val:
                continue
            opt = name if name.startswith("-") else "--" + name
            r = subprocess.run([BIN] + cmd.split() + [opt], capture_output=True, text=True)
            if r.returncode != 2 or "usage:" not in r.stderr or opt.lstrip("-") not in r.stderr:
                bad("%s %s (its value missing): exit %d, stderr %r (want 2, the option named, "
                    "usage)" % (cmd, opt, r.returncode, r.stderr[-300:]))
    # a bad value is named with its option: every value option given "@bad@" (and some of what
    # the command needs besides): where the run fails blaming the option, the message names
    # the value too
    W = tempfile.mkdtemp()
    try:
        open(os.path.join(W, "in.txt"), "w").write("https://example.invalid/a.jpg\n")
        extra = {"hash": [W], "match": [W + "/in.txt"], "fetch": [W + "/in.txt"],
                 "scan": [W, "-o", W + "/o"], "merge": [W], "export": [W], "inspect": [W],
                 "neighbors": ["-o", W + "/o"], "inventory": [W], "keygen": [],
                 "verify": [W], "list build": [W + "/in.txt"]}
        for cmd, fn in list(fnmap.items()) + [("list build", "list_build")]:
            for name, (short, val) in sorted(funcs[fn].items()):
                if not val:
                    continue
                opt = name if name.startswith("-") else "--" + name
                r = subprocess.run([BIN] + cmd.split() + [opt, "@bad@"] + extra[cmd],
                                   capture_output=True, text=True, cwd=W, timeout=60)
                # the lines that say what is wrong (not the usage that follows them)
                said = [l for l in r.stderr.split("\n") if l and not l.startswith(("usage:", "       datavet", "Try "))]
                # (an option refused with another, "--columns applies to --head only", is not its value)
                said = [l for l in said if "applies to" not in l and " needs " not in l]
                if r.returncode == 2 and any(opt in l for l in said) and "@bad@" not in r.stderr:
                    bad("%s %s @bad@: exit 2 without naming the value: %r" % (cmd, opt, r.stderr[-300:]))
    finally:
        shutil.rmtree(W)
    print("options: %d commands compared, %d runs; %d problems" % (checks, len(runs), len(fails)))
    sys.exit(1 if fails else 0)


main()
