"""infra/hewei_infra/packaging.py: bytecode in the Lambda zips, and one packaging at a time."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "infra"))

from hewei_infra.packaging import (  # noqa: E402
    LAMBDA_PYTHON, add_bytecode, deployments_dir, exclusive_packaging, precompile_package)

SOURCE = b"ANSWER = 6 * 7\n"
SAME_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}" == LAMBDA_PYTHON


def make_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("pkg/__init__.py", b"")
        archive.writestr("pkg/answer.py", SOURCE)
        archive.writestr("pkg/__pycache__/stale.cpython-311.pyc", b"not bytecode")
        archive.writestr("pkg/data.json", b"{}")
        archive.writestr("pkg/py2_only.py", b"print 'old'\n")
    return path


@pytest.mark.skipif(not SAME_PYTHON, reason="bytecode is added only by the runtime's Python")
def test_every_module_gets_unchecked_hash_bytecode_and_stale_bytecode_goes(tmp_path):
    package = make_zip(tmp_path / "deployment.zip")
    assert add_bytecode(package) == 2  # __init__ and answer; the Python 2 file is left as it was
    with zipfile.ZipFile(package) as archive:
        names = set(archive.namelist())
        pyc = archive.read(importlib.util.cache_from_source("pkg/answer.py"))
    assert "pkg/__pycache__/stale.cpython-311.pyc" not in names
    assert {"pkg/data.json", "pkg/py2_only.py", "pkg/answer.py"} <= names
    assert pyc[:4] == importlib.util.MAGIC_NUMBER
    assert int.from_bytes(pyc[4:8], "little") == 0b01  # hash-based, not checked against the source
    assert pyc[8:16] == importlib.util.source_hash(SOURCE)

    namespace: dict = {}
    exec(__import__("marshal").loads(pyc[16:]), namespace)
    assert namespace["ANSWER"] == 42


@pytest.mark.skipif(not SAME_PYTHON, reason="bytecode is added only by the runtime's Python")
def test_the_output_is_deterministic_and_the_cache_returns_the_same_bytes(tmp_path):
    add_bytecode(make_zip(tmp_path / "a.zip"))
    first = (tmp_path / "a.zip").read_bytes()
    cache = tmp_path / "cache"
    assert add_bytecode(make_zip(tmp_path / "b.zip"), cache_dir=cache) == 2
    assert (tmp_path / "b.zip").read_bytes() == first
    assert add_bytecode(make_zip(tmp_path / "c.zip"), cache_dir=cache) == -1  # a hit: copied, not rebuilt
    assert (tmp_path / "c.zip").read_bytes() == first
    assert [p.name for p in cache.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.skipif(not SAME_PYTHON, reason="bytecode is added only by the runtime's Python")
def test_a_package_gets_bytecode_in_both_zips_and_only_the_layer_is_cached(tmp_path):
    package = tmp_path / "chalice.out"
    package.mkdir()
    make_zip(package / "deployment.zip")
    make_zip(package / "layer-deployment.zip")
    precompile_package(package, tmp_path)
    for name in ("deployment.zip", "layer-deployment.zip"):
        with zipfile.ZipFile(package / name) as archive:
            assert importlib.util.cache_from_source("pkg/answer.py") in archive.namelist(), name
    cached = list(Path(deployments_dir(tmp_path)).glob("bytecode-*.zip"))
    assert len(cached) == 1 and cached[0].read_bytes() == (package / "layer-deployment.zip").read_bytes()


def test_packagings_take_turns_across_processes(tmp_path):
    """A second packaging waits while another holds the project's lock, and goes on when it is released."""
    waiter = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT / "infra")!r})
        from hewei_infra.packaging import exclusive_packaging
        print("waiting", flush=True)
        with exclusive_packaging({str(tmp_path)!r}):
            print("packaging", flush=True)
    """)
    with exclusive_packaging(tmp_path):
        process = subprocess.Popen([sys.executable, "-c", waiter], stdout=subprocess.PIPE, text=True)
        assert process.stdout.readline() == "waiting\n"
        with pytest.raises(subprocess.TimeoutExpired):
            process.wait(timeout=1.0)  # still blocked on the lock we hold
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 0 and out == "packaging\n"
    assert (tmp_path / ".chalice" / "deployments" / ".packaging.lock").exists()


# --- pruning the layer (prune_layer, LAYER_PRUNE_RULES, KEPT_AWS_SERVICES) ---------------------

from hewei_infra.packaging import (  # noqa: E402
    KEPT_AWS_SERVICES, LAYER_PRUNE_RULES, LAYER_SITE_PACKAGES, prune_layer, pruned_by)

LAYER_ENTRIES = [  # (path in site-packages, kept in the layer)
    ("botocore/__init__.py", True),
    ("botocore/data/endpoints.json", True),
    ("botocore/data/partitions.json", True),
    ("botocore/data/_retry.json", True),
    ("botocore/data/sdk-default-configuration.json", True),
    ("botocore/data/dynamodb/2012-08-10/service-2.json.gz", True),
    ("botocore/data/s3/2006-03-01/endpoint-rule-set-1.json.gz", True),
    ("botocore/data/sqs/2012-11-05/service-2.json.gz", True),
    ("botocore/data/sns/2010-03-31/service-2.json.gz", True),
    ("botocore/data/sts/2011-06-15/service-2.json.gz", True),
    ("botocore/data/ec2/2016-11-15/service-2.json.gz", False),
    ("botocore/data/dynamodbstreams/2012-08-10/service-2.json.gz", False),  # a prefix of a kept name is not kept
    ("botocore/data/s3control/2018-08-20/service-2.json.gz", False),
    ("botocore/docs/client.py", True),  # imported by every client, not documentation
    ("boto3/data/s3/2006-03-01/resources-1.json", True),
    ("boto3/data/ec2/2016-11-15/resources-1.json", False),
    ("phonenumbers/phonenumberutil.py", True),
    ("phonenumbers/data/region_CN.py", True),
    ("phonenumbers/shortdata/region_CN.py", True),
    ("phonenumbers/geodata/data0.py", False),
    ("phonenumbers/carrierdata/data0.py", False),
    ("phonenumbers/tzdata/data0.py", False),
    ("phonenumbers/__init__.pyi", False),
    ("phonenumbers/py.typed", False),
    ("pydantic/__pycache__/main.cpython-313.pyc", False),
    ("pydantic/main.py", True),
    ("pydantic/v1/main.py", False),
    ("pydantic-2.14.3.dist-info/METADATA", True),
    ("pydantic-2.14.3.dist-info/entry_points.txt", True),
    ("pydantic-2.14.3.dist-info/licenses/LICENSE", True),
    ("pydantic-2.14.3.dist-info/RECORD", False),
    ("pydantic-2.14.3.dist-info/WHEEL", False),
    ("pydantic-2.14.3.dist-info/INSTALLER", False),
    ("lxml/etree.cpython-313-x86_64-linux-gnu.so", True),
    ("lxml/_elementpath.cpython-313-x86_64-linux-gnu.so", True),
    ("lxml/etree.pyx", False),
    ("lxml/etree.h", False),
    ("lxml/includes/tree.pxd", False),
    ("lxml/includes/__init__.py", False),
    ("lxml/objectify.cpython-313-x86_64-linux-gnu.so", False),
    ("lxml/html/__init__.py", False),
    ("lxml/isoschematron/resources/xsl/iso-schematron-xslt1/iso_schematron_message.xsl", False),
    ("somepkg/tests/test_it.py", False),
    ("somepkg/sub/test/data.json", False),
    ("somepkg/testing.py", True),
    ("cffi/api.py", False),
    ("pycparser/c_parser.py", False),
    ("_cffi_backend.cpython-313-x86_64-linux-gnu.so", True),
    ("cryptography/hazmat/bindings/_rust.abi3.so", True),
    ("aws_lambda_powertools/event_handler/openapi/swagger_ui/swagger-ui-bundle.min.js", False),
    ("aws_lambda_powertools/event_handler/openapi/compat.py", True),
    ("docx/templates/default.docx", True),
    ("tzdata/zoneinfo/Asia/Shanghai", True),
]


@pytest.mark.parametrize(("path", "kept"), LAYER_ENTRIES)
def test_what_the_layer_keeps(path, kept):
    assert (pruned_by(path) is None) == kept, pruned_by(path)


def make_layer(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("python/README", b"outside site-packages: kept as it is\n")
        for name, _ in LAYER_ENTRIES:
            archive.writestr(LAYER_SITE_PACKAGES + name, f"content of {name}\n".encode())
    return path


def test_a_pruned_layer_holds_the_kept_entries_unchanged_and_counts_what_went(tmp_path):
    layer = make_layer(tmp_path / "layer.zip")
    with zipfile.ZipFile(layer) as archive:
        before = {info.filename: (archive.read(info), info.date_time) for info in archive.infolist()}
    removed = prune_layer(layer)
    with zipfile.ZipFile(layer) as archive:
        after = {info.filename: (archive.read(info), info.date_time) for info in archive.infolist()}
    expected = {"python/README"} | {LAYER_SITE_PACKAGES + name for name, kept in LAYER_ENTRIES if kept}
    assert set(after) == expected
    assert all(after[name] == before[name] for name in after)
    assert sum(totals["files"] for totals in removed.values()) == sum(not kept for _, kept in LAYER_ENTRIES)
    assert set(removed) <= {rule.reason for rule in LAYER_PRUNE_RULES}
    services = removed[pruned_by("botocore/data/ec2/x").reason]
    assert services["files"] == 3 and services["unzipped_bytes"] == sum(
        len(f"content of {name}\n") for name, _ in LAYER_ENTRIES if name.startswith("botocore/data/") and not pruned_by(name) is None)


def test_pruning_is_deterministic_cached_by_content_and_keyed_on_the_rules(tmp_path, monkeypatch):
    from hewei_infra import packaging

    prune_layer(make_layer(tmp_path / "a.zip"))
    first = (tmp_path / "a.zip").read_bytes()
    cache = tmp_path / "cache"
    prune_layer(make_layer(tmp_path / "b.zip"), cache_dir=cache)
    assert (tmp_path / "b.zip").read_bytes() == first
    assert len(list(cache.glob("pruned-*.zip"))) == 1
    removed = prune_layer(make_layer(tmp_path / "c.zip"), cache_dir=cache)  # a hit: copied
    assert (tmp_path / "c.zip").read_bytes() == first and removed
    assert [p.name for p in cache.iterdir() if p.name.endswith(".tmp")] == []

    monkeypatch.setattr(packaging, "LAYER_PRUNE_RULES", LAYER_PRUNE_RULES[:1])  # another rule set
    monkeypatch.setattr(packaging, "_LAYER_PRUNE", packaging._LAYER_PRUNE[:1])
    prune_layer(make_layer(tmp_path / "d.zip"), cache_dir=cache)
    assert len(list(cache.glob("pruned-*.zip"))) == 2  # not served the other rules' layer
    with zipfile.ZipFile(tmp_path / "d.zip") as archive:
        assert LAYER_SITE_PACKAGES + "botocore/data/ec2/2016-11-15/service-2.json.gz" in archive.namelist()


def test_packaging_prunes_the_layer_and_leaves_the_function_zip_whole(tmp_path):
    package = tmp_path / "chalice.out"
    package.mkdir()
    make_layer(package / "layer-deployment.zip")
    make_layer(package / "deployment.zip")
    removed = precompile_package(package, tmp_path)
    with zipfile.ZipFile(package / "layer-deployment.zip") as layer, zipfile.ZipFile(package / "deployment.zip") as function:
        assert LAYER_SITE_PACKAGES + "botocore/data/ec2/2016-11-15/service-2.json.gz" not in layer.namelist()
        assert LAYER_SITE_PACKAGES + "botocore/data/ec2/2016-11-15/service-2.json.gz" in function.namelist()
    assert removed and list(Path(deployments_dir(tmp_path)).glob("pruned-*.zip"))


def aws_services_the_code_creates_clients_for() -> dict[str, str]:
    """Every `<anything>.client("x")`, `.resource("x")`, `.create_client("x")` (or service_name="x")
    in app.py and chalicelib, with where it is."""
    import ast

    found: dict[str, str] = {}
    for source in [ROOT / "app.py", *sorted((ROOT / "chalicelib").rglob("*.py"))]:
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in {"client", "resource", "create_client"}):
                continue
            arguments = node.args[:1] + [kw.value for kw in node.keywords if kw.arg == "service_name"]
            for argument in arguments:
                assert isinstance(argument, ast.Constant) and isinstance(argument.value, str), (
                    f"{source.relative_to(ROOT)}:{node.lineno}: name the AWS service with a literal, so that "
                    "the layer's kept services can be checked")
                found.setdefault(argument.value, f"{source.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_aws_service_the_code_calls_keeps_its_botocore_model_in_the_layer():
    used = aws_services_the_code_creates_clients_for()
    assert {"dynamodb", "s3", "sqs", "sns"} <= set(used)  # the scan finds the adapters' clients
    missing = {service: where for service, where in used.items() if service not in KEPT_AWS_SERVICES}
    assert not missing, f"add these to KEPT_AWS_SERVICES in infra/hewei_infra/packaging.py: {missing}"
    for service in KEPT_AWS_SERVICES:
        assert pruned_by(f"botocore/data/{service}/2000-01-01/service-2.json.gz") is None


LIBRARY_AWS_SERVICES = {"secretsmanager": "aws_lambda_powertools/utilities/parameters/secrets.py"}
"""Services whose client a library creates, not chalicelib: Powertools' `get_secret` (a mainland
stage's SMS credentials) makes its own secretsmanager client, which the scan above cannot see."""


def test_the_services_libraries_call_for_the_code_keep_their_models_too():
    import ast
    import site

    for service, module in LIBRARY_AWS_SERVICES.items():
        [source] = [Path(base) / module for base in site.getsitepackages() if (Path(base) / module).exists()]
        calls = [node for node in ast.walk(ast.parse(source.read_text()))
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "client"
                 and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value == service]
        assert calls, f"{module} no longer creates a {service} client: is {service} still needed in the layer?"
        assert service in KEPT_AWS_SERVICES
        for path in (f"botocore/data/{service}/2017-10-17/service-2.json.gz",
                     f"botocore/data/{service}/2017-10-17/endpoint-rule-set-1.json.gz"):
            assert pruned_by(path) is None, path
    assert pruned_by("botocore/data/ssm/2014-11-06/service-2.json.gz") is not None  # the rule still prunes


def test_the_kept_services_are_botocore_service_names():
    import botocore.session

    available = set(botocore.session.get_session().get_available_services())
    assert set(KEPT_AWS_SERVICES) <= available


def test_nothing_the_code_imports_or_reads_at_run_time_is_pruned():
    """In a fresh interpreter: import app and every module chalicelib imports (also those
    imported inside functions), verify an RS256 and an ES256 token and create a client of
    each kept service; every file opened under site-packages must be one the layer keeps."""
    probe = textwrap.dedent(f"""
        import ast, importlib, json, pathlib, site, sys
        root = pathlib.Path({str(ROOT)!r})
        sys.path[:0] = [str(root)]
        opened = set()
        sys.addaudithook(lambda event, args: opened.add(str(args[0])) if event == "open" and isinstance(args[0], str) else None)
        import app
        names = set()
        for source in [root / "app.py", *root.joinpath("chalicelib").rglob("*.py")]:
            for node in ast.walk(ast.parse(source.read_text())):
                if isinstance(node, ast.Import):
                    names.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module)
                    names.update(f"{{node.module}}.{{alias.name}}" for alias in node.names)
        for name in sorted(names):
            try:
                importlib.import_module(name)
            except ImportError:
                parent, _, attribute = name.rpartition(".")
                assert parent and hasattr(importlib.import_module(parent), attribute), name
        import boto3, jwt
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        for key, algorithm in ((rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256"),
                               (ec.generate_private_key(ec.SECP256R1()), "ES256")):
            jwt.decode(jwt.encode({{"a": 1}}, key, algorithm=algorithm), key.public_key(), algorithms=[algorithm])
        for service in {sorted(KEPT_AWS_SERVICES)!r}:
            boto3.client(service, region_name="cn-north-1", aws_access_key_id="k", aws_secret_access_key="s")
        from aws_lambda_powertools.utilities.parameters import SecretsProvider  # get_secret's client (SMS credentials)
        SecretsProvider(boto3_session=boto3.session.Session(region_name="cn-north-1", aws_access_key_id="k",
                                                            aws_secret_access_key="s"))
        files = {{getattr(module, "__file__", None) for module in list(sys.modules.values())}} | opened
        roots = [pathlib.Path(p).resolve() for p in site.getsitepackages()]
        inside = set()
        for name in filter(None, files):
            path = pathlib.Path(name).resolve()
            for base in roots:
                if path.is_relative_to(base) and path.is_file() and path.suffix != ".pyc":  # add_bytecode's own
                    inside.add(path.relative_to(base).as_posix())
        print(json.dumps(sorted(inside)))
    """)
    env = {key: value for key, value in __import__("os").environ.items() if not key.startswith(("AWS_", "HEWEI_"))}
    env.update(AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_EC2_METADATA_DISABLED="true",
               HEWEI_STAGE="dev")  # every function has its stage (without one, app.py refuses to start)
    result = subprocess.run([sys.executable, "-B", "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    used = __import__("json").loads(result.stdout.splitlines()[-1])
    assert any(path.startswith("botocore/data/dynamodb/") for path in used)  # the probe saw the models read
    assert any(path.startswith("lxml/etree") for path in used) or not any(p.startswith("docx/") for p in used)
    pruned = {path: pruned_by(path).reason for path in used if pruned_by(path) is not None}
    assert not pruned, f"used at run time but left out of the layer by LAYER_PRUNE_RULES: {sorted(pruned.items())[:20]}"


# --- the SMS layer (build_sms_layer) ------------------------------------------------------------


@pytest.mark.skipif(not SAME_PYTHON, reason="the layer's bytecode is added only by the runtime's Python")
def test_the_sms_layer_is_the_providers_sdk_for_lambda_without_the_main_layers_packages_and_cached(
        tmp_path, monkeypatch):
    """Built with pip for Lambda's platform (needs the package registry, once per session)."""
    import shutil

    from hewei_infra import packaging

    shutil.copy(ROOT / packaging.SMS_LAYER_REQUIREMENTS["tencent"], tmp_path)
    main_layer = tmp_path / "main-layer.zip"
    with zipfile.ZipFile(main_layer, "w") as archive:  # a main layer that already ships requests
        archive.writestr(LAYER_SITE_PACKAGES + "requests/__init__.py", b"")
        archive.writestr(LAYER_SITE_PACKAGES + "requests-2.34.2.dist-info/METADATA", b"")
    output = tmp_path / "sms-layer.zip"
    left_out = packaging.build_sms_layer("tencent", tmp_path, main_layer, output)
    with zipfile.ZipFile(output) as archive:
        names = archive.namelist()
    assert all(name.startswith(LAYER_SITE_PACKAGES) for name in names)
    top = {name[len(LAYER_SITE_PACKAGES):].split("/")[0] for name in names}
    assert {"tencentcloud", "certifi", "idna"} <= top
    assert not {"requests", "requests-2.34.2.dist-info", "bin"} & top
    assert sorted(left_out["shared"]) == ["requests", "requests-2.34.2.dist-info"]
    assert LAYER_SITE_PACKAGES + "tencentcloud/sms/v20210111/__pycache__/sms_client.cpython-313.pyc" in names
    assert not [n for n in names if pruned_by(n[len(LAYER_SITE_PACKAGES):]) and not n.endswith(".pyc")]

    def no_pip(*args, **kwargs):
        raise AssertionError("pip ran although the layer was cached")

    monkeypatch.setattr(subprocess, "run", no_pip)
    again = tmp_path / "again.zip"
    assert packaging.build_sms_layer("tencent", tmp_path, main_layer, again) == left_out
    assert again.read_bytes() == output.read_bytes()
    with pytest.raises(ValueError, match="no SMS layer for provider 'sns'"):
        packaging.build_sms_layer("sns", tmp_path, main_layer, again)


def test_the_sms_layer_is_built_for_lambdas_platform_with_pinned_requirements():
    from hewei_infra import packaging

    command = packaging.sms_layer_pip_command("requirements-sms-aliyun.txt", "/target")
    assert {"--no-deps", "--only-binary=:all:"} <= set(command)
    assert command[command.index("--python-version") + 1] == LAMBDA_PYTHON
    platforms = [command[i + 1] for i, arg in enumerate(command) if arg == "--platform"]
    assert "manylinux2014_x86_64" in platforms and "manylinux_2_34_x86_64" in platforms
    main = {line.split("==")[0].split("[")[0].lower() for line in (ROOT / "requirements.txt").read_text().splitlines()
            if "==" in line and not line.startswith("#")}
    for provider, name in packaging.SMS_LAYER_REQUIREMENTS.items():
        lines = [line for line in (ROOT / name).read_text().splitlines() if line and not line.startswith("#")]
        assert lines and all("==" in line for line in lines), name  # --no-deps: every package pinned
        assert not {line.split("==")[0].lower() for line in lines} & (main | {"urllib3", "cryptography"}), name
