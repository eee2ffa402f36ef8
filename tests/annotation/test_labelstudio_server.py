"""The Label Studio round trip against a real Label Studio server, driven through its REST API.

`make test-labelstudio` installs Label Studio in a virtual environment of its own (it is about 1 GB) and
runs this file with LABEL_STUDIO naming its `label-studio` executable; without it the tests are skipped.
The server listens on 127.0.0.1 only, on a free port, with a temporary data folder, and is stopped by its PID.
"""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bench.cli import main

EXECUTABLE = os.environ.get("LABEL_STUDIO")
pytestmark = pytest.mark.skipif(not EXECUTABLE, reason="Label Studio is not installed here: `make test-labelstudio` "
                                                       "installs it and runs these tests (CI does)")
USERS = {"one@example.org": "tokenuserone1", "two@example.org": "tokenusertwo2"}


def listening_addresses(port: int) -> set[str]:
    """The IPv4 addresses a local socket listens on at this port, from /proc/net/tcp (state 0A is LISTEN)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


class LabelStudio:
    """A running server and the REST calls the tests make, each as one of the two users."""

    def __init__(self, url: str):
        self.url = url

    def call(self, method: str, path: str, user: str = "one@example.org", body=None, raw: bool = False):
        request = urllib.request.Request(self.url + path, method=method,
                                         data=None if body is None else json.dumps(body).encode("utf-8"),
                                         headers={"Authorization": f"Token {USERS[user]}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as response:
            content = response.read()
        return content if raw else json.loads(content) if content else None


@pytest.fixture(scope="module")
def label_studio(tmp_path_factory, free_port):
    assert EXECUTABLE and Path(EXECUTABLE).is_file(), f"LABEL_STUDIO names no file: {EXECUTABLE}"
    data = tmp_path_factory.mktemp("label-studio")
    environment = {**os.environ, "LABEL_STUDIO_BASE_DATA_DIR": str(data), "COLLECT_ANALYTICS": "false",
                   "LATEST_VERSION_CHECK": "false", "SENTRY_DSN": "", "FRONTEND_SENTRY_DSN": "",
                   "HOME": str(data)}
    common = ["--no-browser", "--data-dir", str(data), "--log-level", "ERROR"]
    for email, token in USERS.items():  # two users, each with a legacy API token
        subprocess.run([EXECUTABLE, "init", "--quiet", *common, "--username", email, "--password", "secret-pass",
                        "--user-token", token, "--enable-legacy-api-token"], env=environment, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
    port = free_port()
    log = (data / "server.log").open("w")
    server = subprocess.Popen([EXECUTABLE, "start", *common, "--internal-host", "127.0.0.1", "--port", str(port)],
                              env=environment, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                with urllib.request.urlopen(url + "/health", timeout=5):
                    break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, (data / "server.log").read_text()[-3000:]
                time.sleep(0.5)
        else:
            pytest.fail("Label Studio did not answer within two minutes")
        assert listening_addresses(port) == {"127.0.0.1"}, "the server must listen on 127.0.0.1 only"
        yield LabelStudio(url)
    finally:
        os.kill(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def choices(labels: dict[str, str]) -> list[dict]:
    """A result in the form Label Studio's editor writes it."""
    return [{"id": f"r{index}x", "from_name": name, "to_name": "text", "type": "choices", "origin": "manual",
             "value": {"choices": [label]}} for index, (name, label) in enumerate(labels.items())]


def bench(project, *arguments) -> int:
    return main(["--root", str(project.root), *arguments])


def annotation_files(project) -> dict:
    folder = project.labels / "annotations"
    return {p.name: p.read_bytes() for p in folder.glob("*.jsonl")}


def test_export_annotate_in_label_studio_and_import_every_users_pass(label_studio, project, tmp_path, capsys):
    # Tasks with cross-fitted pre-annotations, and the labelling config.
    tasks_path = tmp_path / "tasks.json"
    assert bench(project, "labelstudio-export", str(tasks_path), "--all", "--predict",
                 str(project.experiments / "tfidf.yaml")) == 0
    tasks = json.loads(tasks_path.read_text(encoding="utf-8"))
    config = tasks_path.with_suffix(".xml").read_text(encoding="utf-8")
    label_studio.call("POST", "/api/projects/validate", body={"label_config": config})  # an invalid one is an HTTP 400
    created = label_studio.call("POST", "/api/projects", body={"title": "deserter-bench", "label_config": config,
                                                              "maximum_annotations": 2})
    project_id = created["id"]
    imported = label_studio.call("POST", f"/api/projects/{project_id}/import", body=tasks)
    assert imported["task_count"] == len(tasks) == 91 and imported["prediction_count"] == 91
    listed = label_studio.call("GET", f"/api/tasks?project={project_id}&page_size=200")["tasks"]
    task_of = {task["data"]["paragraph_id"]: task["id"] for task in listed}
    assert len(task_of) == 91

    gold = {json.loads(line)["id"]: json.loads(line) for line in (project.labels / "gold.jsonl").read_text().splitlines()}
    fields = ("kind", "topic", "stance_war", "stance_defector")
    labels = {i: {f: gold[i][f] for f in fields} for i in ("000-03", "000-04", "002-02", "004-05", "004-06")}
    disagreed = {**labels["000-04"], "topic": "other" if labels["000-04"]["topic"] != "other" else "losses"}

    def annotate(paragraph, given, user, cancelled=False):
        body = {"result": [] if cancelled else choices(given), "was_cancelled": cancelled}
        return label_studio.call("POST", f"/api/tasks/{task_of[paragraph]}/annotations", user=user, body=body)

    one, two = "one@example.org", "two@example.org"
    for paragraph in ("000-03", "000-04", "002-02", "004-05"):
        annotate(paragraph, labels[paragraph], one)
    annotate("000-03", labels["000-03"], two)
    annotate("000-04", disagreed, two)
    annotate("002-02", disagreed, two)  # a slip, corrected by the same user's newer annotation
    annotate("002-02", labels["002-02"], two)
    annotate("004-06", labels["004-06"], one, cancelled=True)  # skipped in the editor

    exports = {kind: exported(label_studio, project_id, kind, tmp_path / f"export.{kind.lower()}")
               for kind in ("JSON", "JSON_MIN", "CSV")}
    before = annotation_files(project)

    # Several users in one export need a map; a user missing from it is named with every user found.
    assert bench(project, "labelstudio-import", str(exports["JSON"]), "--annotator", "ls1") == 1
    assert "annotations by 2 Label Studio users (1, 2): give --annotator-map" in capsys.readouterr().err
    assert bench(project, "labelstudio-import", str(exports["JSON"]), "--annotator-map", "1=ls1") == 1
    assert "no annotator for Label Studio user(s) 2; the users in this export are 1, 2" in capsys.readouterr().err
    assert bench(project, "labelstudio-import", str(exports["CSV"]), "--annotator-map", "1=ls1,2=ls2") == 1
    assert "this looks like a CSV or TSV export; export the project from Label Studio as JSON" in \
        capsys.readouterr().err
    assert annotation_files(project) == before, "a refused import writes nothing"

    assert bench(project, "labelstudio-import", str(exports["JSON"]), "--annotator-map", "1=ls1,2=ls2") == 0
    printed = capsys.readouterr().out
    assert "004-06, annotation" in printed and "cancelled (skipped) in Label Studio" in printed
    assert "002-02, annotation" in printed and "replaced by the same user's newer annotation" in printed
    passes = {name: [json.loads(line) for line in (project.labels / "annotations" / f"{name}.jsonl").read_text()
                     .splitlines()] for name in ("ls1", "ls2")}
    assert {row["id"]: {f: row[f] for f in fields} for row in passes["ls1"]} == {
        i: labels[i] for i in ("000-03", "000-04", "002-02", "004-05")}
    assert {row["id"]: {f: row[f] for f in fields} for row in passes["ls2"]} == {
        "000-03": labels["000-03"], "000-04": disagreed, "002-02": labels["002-02"]}

    # JSON_MIN, where Label Studio replaces `id` by the task's number, gives the same passes.
    assert bench(project, "labelstudio-import", str(exports["JSON_MIN"]), "--annotator-map", "1=min1,2=min2") == 0, \
        capsys.readouterr().err
    capsys.readouterr()
    for name, copy in (("ls1", "min1"), ("ls2", "min2")):
        rows = [json.loads(line) for line in (project.labels / "annotations" / f"{copy}.jsonl").read_text().splitlines()]
        assert sorted(rows, key=lambda r: r["id"]) == sorted(passes[name], key=lambda r: r["id"])

    assert bench(project, "agreement") == 0
    report = capsys.readouterr().out
    assert "ls1" in report and "ls2" in report and "- 000-04 topic:" in report
    assert bench(project, "validate") == 0

    # A task's text edited inside Label Studio: its labels are refused, naming the task, and nothing is written.
    edited = next(task for task in listed if task["data"]["paragraph_id"] == "004-06")
    label_studio.call("PATCH", f"/api/tasks/{edited['id']}",
                      body={"data": {**edited["data"], "text": edited["data"]["text"] + " (edited)"}})
    annotate("004-06", labels["004-06"], one)
    refuses_edited_text(label_studio, project, project_id, edited["id"], tmp_path / "again.json", capsys)


def exported(label_studio, project_id, kind, path):
    """The project exported from Label Studio in one of its export types, saved at PATH."""
    path.write_bytes(label_studio.call("GET", f"/api/projects/{project_id}/export?exportType={kind}", raw=True))
    return path


def refuses_edited_text(label_studio, project, project_id, task_id, export, capsys):
    """An export holding an annotation of a task whose text was edited in Label Studio is refused whole."""
    exported(label_studio, project_id, "JSON", export)
    before = annotation_files(project)
    assert bench(project, "labelstudio-import", str(export), "--annotator-map", "1=ls1,2=ls2") == 1
    error = capsys.readouterr().err
    assert f"(Label Studio task {task_id}, paragraph 004-06, annotation" in error
    assert "its text was edited in Label Studio" in error
    assert annotation_files(project) == before
