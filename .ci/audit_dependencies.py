"""CI: audit the installed dependencies for known vulnerabilities with pip-audit (PyPI's vulnerability
service), and fail with a readable list when there is one.

pip-audit asks PyPI's per-release JSON (`/pypi/<name>/<version>/json`) and, when that answers 404, skips
the package silently ("not found on PyPI") and still exits 0. Where that endpoint is not served (a PyPI
mirror or proxy), every package is skipped and the audit would pass having checked nothing. So a skipped
package is looked up again in the project's JSON (`/pypi/<name>/json`), whose `vulnerabilities` are those of
the latest release: they apply exactly when the installed version is the latest. Whatever stays unaudited
is named; `AUDIT_REQUIRE_ALL=1` makes that a failure too.

Exit status: 0 no known vulnerability, 1 known vulnerabilities (or unaudited packages with
AUDIT_REQUIRE_ALL=1), 2 pip-audit or PyPI could not be run or reached at all.
"""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
PYPI_PROJECT_JSON = "https://pypi.org/pypi/{name}/json"


def pip_audit() -> dict:
    command = [
        str(VENV_BIN / "pip-audit"),
        "--vulnerability-service",
        "pypi",
        "--format",
        "json",
        "--progress-spinner",
        "off",
        "--skip-editable",  # the project itself
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    # pip-audit exits 1 when it found vulnerabilities; its JSON is on stdout either way
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError:
        sys.stderr.write(result.stderr)
        print(f"dependency audit: pip-audit failed (exit {result.returncode}), see above.")
        sys.exit(2)


def latest_release_vulnerabilities(name: str) -> tuple[str, list[dict]]:
    """(latest version, the vulnerabilities PyPI lists for it) from the project's JSON."""
    with urllib.request.urlopen(PYPI_PROJECT_JSON.format(name=name), timeout=30) as response:
        document = json.load(response)
    vulns = [v for v in document.get("vulnerabilities") or [] if not v.get("withdrawn")]
    return document["info"]["version"], vulns


def main() -> int:
    report = pip_audit()
    found: list[tuple[str, str, str, list[str]]] = []  # name, version, ids, fixed in
    audited, unaudited = 0, []
    for dependency in report["dependencies"]:
        name = dependency["name"]
        if "skip_reason" not in dependency:
            audited += 1
            for vuln in dependency.get("vulns", []):
                ids = ", ".join([vuln["id"], *vuln.get("aliases", [])])
                found.append((name, dependency["version"], ids, vuln.get("fix_versions", [])))
            continue
        reason = dependency["skip_reason"]
        if "editable" in reason:
            continue  # the project itself
        if "not found on PyPI" not in reason:
            unaudited.append(f"{name}: {reason}")
            continue
        version = reason.rsplit("(", 1)[-1].rstrip(")")
        try:
            latest, vulns = latest_release_vulnerabilities(name)
        except (urllib.error.URLError, TimeoutError, KeyError, ValueError) as error:
            unaudited.append(f"{name} {version}: PyPI did not answer ({error})")
            continue
        if latest != version:
            unaudited.append(
                f"{name} {version}: PyPI's per-release data is unavailable here (latest is {latest})"
            )
            continue
        audited += 1
        for vuln in vulns:
            ids = ", ".join([vuln["id"], *vuln.get("aliases", [])])
            found.append((name, version, ids, vuln.get("fixed_in", [])))

    print(f"dependency audit (pip-audit, PyPI vulnerability service): {audited} packages audited.")
    if unaudited:
        print(f"{len(unaudited)} packages could not be audited:")
        for line in unaudited:
            print(f"  - {line}")
    if audited == 0:
        print("dependency audit: nothing could be audited; is PyPI reachable?")
        return 2
    if found:
        print(f"FAILED: {len(found)} known vulnerabilities in installed dependencies:")
        for name, version, ids, fixed_in in found:
            fix = f"fixed in {', '.join(map(str, fixed_in))}" if fixed_in else "no fixed release yet"
            print(f"  - {name} {version}: {ids} ({fix})")
        print(
            "Raise the lower bound of the dependency in pyproject.toml to a fixed release, then `make install`."
        )
        return 1
    if unaudited and os.environ.get("AUDIT_REQUIRE_ALL") == "1":
        print("FAILED: AUDIT_REQUIRE_ALL=1 and some packages could not be audited.")
        return 1
    print("No known vulnerabilities.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
