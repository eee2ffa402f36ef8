"""The Hugging Face upload: the export in one commit that names the project's commit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..files import BenchError
from .hub_export import MARKER


def check_repo_id(repo_id: str) -> str:
    """A repository id the Hub accepts (`name` or `namespace/name`), checked before any work or network."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(repo_id)
    except HFValidationError as err:
        raise BenchError(f"invalid dataset repository id: {err}") from None
    return repo_id


@contextmanager
def answering_within(seconds: float) -> Iterator[None]:
    """huggingface_hub's shared HTTP client with a timeout on every request: its own has none for uploads, so a Hub
    that accepts and never answers would hold `push-hf` for good."""
    from huggingface_hub.utils import set_client_factory
    from huggingface_hub.utils._http import default_client_factory

    def timed():
        client = default_client_factory()
        client.timeout = seconds
        return client

    set_client_factory(timed)
    try:
        yield
    finally:
        set_client_factory(default_client_factory)


def timed_out(err: BaseException | None) -> bool:
    """Whether an error, or one it was raised from, is the HTTP client's timeout."""
    from huggingface_hub.utils import httpx

    while err is not None:
        if isinstance(err, httpx.TimeoutException):
            return True
        err = err.__cause__ or err.__context__
    return False


@contextmanager
def hub_step(doing: str, token: str, seconds: float) -> Iterator[None]:
    """One step of the upload, its failure one clear message: a timeout says what was waited for, and how long."""
    from huggingface_hub import constants

    try:
        yield
    except Exception as err:  # the Hub client raises many kinds; each becomes one clear message
        if timed_out(err):
            raise BenchError(f"push-hf: the Hub at {constants.ENDPOINT} did not answer within {seconds:g} s "
                             f"({doing}); set HF_HUB_DOWNLOAD_TIMEOUT to wait longer") from None
        reason = f"{type(err).__name__}: {err}".replace(token, "***")
        raise BenchError(f"could not reach the Hugging Face Hub or it refused the upload ({reason})") from None


def push(folder: Path, repo_id: str, private: bool, commit: str) -> str:
    """Upload the export in one commit that names the project's commit; returns the commit URL.

    Every request waits at most HF_HUB_DOWNLOAD_TIMEOUT seconds (huggingface_hub's default timeout, 10 s unless set).
    """
    from huggingface_hub import DatasetCard, HfApi, constants, get_token

    token = get_token()
    if not token:
        raise BenchError("no Hugging Face token: set HF_TOKEN or log in with `hf auth login`")
    seconds = constants.HF_HUB_DOWNLOAD_TIMEOUT
    with answering_within(seconds):
        with hub_step("checking the dataset card", token, seconds):
            DatasetCard.load(Path(folder) / "README.md").validate(repo_type="dataset")
        api = HfApi(token=token)
        with hub_step(f"creating the dataset repository {repo_id}", token, seconds):
            api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        with hub_step(f"uploading {folder}", token, seconds):
            info = api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="dataset",
                                     ignore_patterns=[MARKER],
                                     commit_message=f"Release deserter-bench data from commit {commit}")
    return str(info.commit_url)
