"""Resolves a job's dependency groups the way dlt's workspace requirements manifest does.

Run by the environment build script (env-script.ts), in two steps:

  split PYPROJECT GROUP...
      With the base interpreter, before the venv exists. Prints `--group <name>` for every
      requested group that pyproject.toml defines under [dependency-groups] (for `uv sync`).
  dlt-specs OUT_DIR PYPROJECT GROUP...
      With the venv's interpreter, after the workspace's dependencies (and dlt) are installed.
      For requested groups pyproject.toml does not define, asks dlt (`default_requirements_manifest()`) for the groups it synthesizes (e.g. the
      `jobs.workspace.dashboard` group of the synthesized dashboard job) and its default groups
      (`main`: the workspace's own dependencies). Writes OUT_DIR/requirements.txt with the specs of
      requested groups that dlt synthesizes, and OUT_DIR/constraints.txt holding the installed dlt,
      the workspace's declared dependency ranges and dlt's own declared range for each spec, so
      they go in on top without moving dlt or leaving what the workspace asked for. A group neither pyproject.toml nor dlt defines is an error:
      prints SLUICE_UNDEFINED_GROUPS=<names> and exits 3.

PYPROJECT is "-" when the workspace has no pyproject.toml with a [project] table.
"""

import os
import re
import sys

GROUP_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")
UNDEFINED_MARKER = "SLUICE_UNDEFINED_GROUPS="
EXIT_UNDEFINED = 3


def normalize(name):
    """PEP 503/735 name normalization (uv compares group names this way)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def defined_groups(pyproject):
    """Normalized names of the [dependency-groups] keys of a pyproject.toml ("-": none)."""
    if pyproject == "-":
        return set()
    import tomllib

    with open(pyproject, "rb") as f:
        doc = tomllib.load(f)
    groups = doc.get("dependency-groups") or {}
    return {normalize(str(name)) for name in groups} if isinstance(groups, dict) else set()


def check_names(groups):
    bad = [g for g in groups if not GROUP_NAME.match(g)]
    if bad:
        print(f"sluice: invalid dependency group name(s): {', '.join(bad)}", file=sys.stderr)
        sys.exit(2)


def split(pyproject, groups):
    check_names(groups)
    defined = defined_groups(pyproject)
    print(" ".join(f"--group {g}" for g in groups if normalize(g) in defined))


def dlt_requirements_manifest():
    try:
        from dlt._workspace.deployment.requirements import default_requirements_manifest
    except ImportError as ex:
        print(f"sluice: resolving dependency groups needs dlt >= 1.26 in the environment ({ex})", file=sys.stderr)
        sys.exit(2)
    return default_requirements_manifest()


def dlt_declared_ranges():
    """Package name -> the version range dlt itself declares for it (in any extra)."""
    from importlib.metadata import requires
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet

    ranges = {}
    for line in requires("dlt") or []:
        req = Requirement(line)
        if req.specifier:
            key = normalize(req.name)
            ranges[key] = ranges.get(key, SpecifierSet()) & req.specifier
    return ranges


def declared_dependencies(pyproject):
    """The workspace's own [project].dependencies ("-": none)."""
    if pyproject == "-":
        return []
    import tomllib

    with open(pyproject, "rb") as f:
        project = tomllib.load(f).get("project") or {}
    return [d for d in project.get("dependencies") or [] if isinstance(d, str)]


def constraints_for(pyproject, specs):
    """What must not move when dlt's specs go in on top: the installed dlt, the workspace's own
    declared ranges, and dlt's declared range for each package of `specs` (dlthub: dlt's plugin
    range). Transitive packages may move in this environment when a spec needs it."""
    from importlib.metadata import version
    from packaging.requirements import Requirement

    lines = [f"dlt=={version('dlt')}"]
    for dep in declared_dependencies(pyproject):
        try:
            req = Requirement(dep)
        except Exception:
            continue
        if req.specifier and not req.url and normalize(req.name) != "dlt":
            lines.append(f"{req.name}{req.specifier}" + (f" ; {req.marker}" if req.marker else ""))
    ranges = dlt_declared_ranges()
    for spec in specs:
        name = Requirement(spec).name
        if normalize(name) in ranges:
            lines.append(f"{name}{ranges[normalize(name)]}")
    return sorted(set(lines))


def write_lines(path, lines):
    with open(path, "w") as f:
        f.write("".join(f"{line}\n" for line in lines))


def dlt_specs(out_dir, pyproject, groups):
    check_names(groups)
    os.makedirs(out_dir, exist_ok=True)
    defined = defined_groups(pyproject)
    # a group pyproject.toml defines was synced by uv; dlt is asked only about the others
    others = [g for g in groups if normalize(g) not in defined]
    specs, undefined = [], []
    if others:
        manifest = dlt_requirements_manifest()
        synthesized = {normalize(name): specs for name, specs in manifest["groups"].items()}
        defaults = {normalize(name) for name in manifest["default_groups"]}
        for group in others:
            key = normalize(group)
            if key in defaults:
                print(f"sluice: group {group}: dlt's default group, i.e. the workspace's own dependencies")
            elif key in synthesized:
                print(f"sluice: group {group}: from dlt's requirements manifest: {' '.join(synthesized[key])}")
                specs.extend(synthesized[key])
            else:
                undefined.append(group)
    if undefined:
        known = ", ".join(sorted(manifest["groups"]))
        print(f"{UNDEFINED_MARKER}{','.join(undefined)}")
        print(f"sluice: dependency group(s) {', '.join(undefined)} are neither in pyproject.toml [dependency-groups] nor groups dlt defines ({known})", file=sys.stderr)
        sys.exit(EXIT_UNDEFINED)
    write_lines(os.path.join(out_dir, "requirements.txt"), sorted(set(specs)))
    write_lines(os.path.join(out_dir, "constraints.txt"), constraints_for(pyproject, specs) if specs else [])


def main(argv):
    if len(argv) >= 2 and argv[0] == "split":
        split(argv[1], argv[2:])
    elif len(argv) >= 3 and argv[0] == "dlt-specs":
        dlt_specs(argv[1], argv[2], argv[3:])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
