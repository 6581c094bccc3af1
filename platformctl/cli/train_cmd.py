"""platformctl train: submit, watch and delete distributed PyTorch jobs (Kubeflow PyTorchJob)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from platformctl.cli import options
from platformctl.cli.context import AppContext, ConsoleReporter

if TYPE_CHECKING:
    from platformctl.model.config import Environment

train_app = typer.Typer(
    name="train",
    help="Submit, watch and delete distributed PyTorch training jobs (Kubeflow PyTorchJob).\n\n"
    "Examples:\n\n"
    "  platformctl train submit examples/pytorch-ddp --org ExampleOrg --env sandbox --wait\n\n"
    "  platformctl train list --org ExampleOrg --env sandbox -n kubeflow\n\n"
    "  platformctl train logs pytorch-ddp --org ExampleOrg --env sandbox -n kubeflow",
    no_args_is_help=True,
)

Namespace = typer.Option("default", "--namespace", "-n", help="Namespace of the job.")
ExampleArg = typer.Argument(
    ..., help="Example directory holding train.py, e.g. examples/pytorch-ddp.", show_default=False
)
NameArg = typer.Argument(..., help="Job name.", show_default=False)
Kubeconfig = typer.Option(
    None, "--kubeconfig", help="Kubeconfig to use (default: the environment's).", show_default=False
)


def _environment(app: AppContext, org: str | None, env: str) -> Environment:
    from platformctl.model.config import load_platform, resolve_org

    resolve_org(org)
    return load_platform(app.root).get(env)


def _target(
    app: AppContext, org: str | None, env: str, kubeconfig: str | None
) -> tuple[Path, Environment]:
    from platformctl.postinstall.context import default_kubeconfig

    environment = _environment(app, org, env)
    path = Path(kubeconfig) if kubeconfig else default_kubeconfig(app.root, environment)
    return path, environment


@train_app.command("submit")
def submit(
    ctx: typer.Context,
    *,
    example: Path = ExampleArg,
    org: str | None = options.Org,
    env: str = options.EnvDefaultSandbox,
    name: str | None = typer.Option(
        None, "--name", help="Job name (default: the directory name).", show_default=False
    ),
    namespace: str = Namespace,
    workers: int = typer.Option(1, "--workers", help="Worker replicas in addition to the master."),
    gpus: int = typer.Option(
        0, "--gpus", help="GPUs per pod; >0 schedules onto the GPU node group."
    ),
    image: str | None = typer.Option(
        None, "--image", help="Container image with PyTorch.", show_default=False
    ),
    epochs: int = typer.Option(20, "--epochs", help="Passed to train.py."),
    wait: bool = typer.Option(False, "--wait", help="Wait until the job succeeds (or fails)."),
    timeout: float = typer.Option(1800.0, "--timeout", help="Seconds to wait with --wait."),
    kubeconfig: str | None = Kubeconfig,
    dry_run: bool = options.DryRun,
    as_json: bool = options.Json,
) -> None:
    """Submit an example as a PyTorchJob: 1 master + N workers through the Training SDK.

    train.py is shipped in a ConfigMap owned by the job; with --gpus the pods request
    nvidia.com/gpu, tolerate the GPU taint and select the GPU node group (platform.toml).

    Examples:

      platformctl train submit examples/pytorch-ddp --org ExampleOrg --env sandbox --dry-run

      platformctl train submit examples/pytorch-ddp --org ExampleOrg --env dev \\
        --workers 2 --gpus 1 --wait
    """
    from platformctl.cluster import training

    app: AppContext = ctx.obj
    reporter = ConsoleReporter(app.err)
    training.check_run_options(epochs=epochs, timeout=timeout)
    code = training.read_code(example)
    job_name = name or example.resolve().name
    if name is None:
        training.check_job_name(job_name, "The directory name", "pass --name with")
    environment = _environment(app, org, env)
    spec = training.job_spec_for(
        environment,
        job_name,
        namespace=namespace,
        image=training.DEFAULT_IMAGE if image is None else image,
        workers=workers,
        gpus=gpus,
        args=("--epochs", str(epochs)),
        code_configmap=f"{job_name}-code",
    )
    if dry_run:
        doc = training.to_dict(training.build_pytorchjob(spec))
        app.console.out(json.dumps(doc, indent=2), highlight=False)
        return
    path, _ = _target(app, org, env, kubeconfig)
    st = training.submit(path, spec, code, reporter)
    if wait:
        st = training.wait(
            path,
            spec.name,
            spec.namespace,
            timeout=timeout,
            on_status=lambda s: reporter.info(f"{s.name}: {s.phase}"),
        )
    _print_status(app, st, as_json)


def _print_status(app: AppContext, st: object, as_json: bool) -> None:
    from platformctl.cluster.training import JobStatus

    assert isinstance(st, JobStatus)
    if as_json:
        app.console.out(json.dumps(st.to_json(), indent=2), highlight=False)
        return
    app.console.print(f"PyTorchJob {st.namespace}/{st.name}: {st.phase}", highlight=False)
    for kind, counts in st.replicas.items():
        app.console.print(f"  {kind}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@train_app.command("status")
def status(
    ctx: typer.Context,
    *,
    name: str = NameArg,
    org: str | None = options.Org,
    env: str = options.EnvDefaultSandbox,
    namespace: str = Namespace,
    kubeconfig: str | None = Kubeconfig,
    as_json: bool = options.Json,
) -> None:
    """Show a job's phase (latest condition) and replica counts.

    Examples:

      platformctl train status pytorch-ddp --org ExampleOrg --env sandbox --json
    """
    from platformctl.cluster import training

    app: AppContext = ctx.obj
    path, _ = _target(app, org, env, kubeconfig)
    _print_status(app, training.status(path, name, namespace), as_json)


@train_app.command("list")
def list_(
    ctx: typer.Context,
    *,
    org: str | None = options.Org,
    env: str = options.EnvDefaultSandbox,
    namespace: str = Namespace,
    kubeconfig: str | None = Kubeconfig,
    as_json: bool = options.Json,
) -> None:
    """List the PyTorchJobs of a namespace.

    Examples:

      platformctl train list --org ExampleOrg --env sandbox
    """
    from platformctl.cluster import training

    app: AppContext = ctx.obj
    path, _ = _target(app, org, env, kubeconfig)
    jobs = training.list_jobs(path, namespace)
    if as_json:
        app.console.out(json.dumps([j.to_json() for j in jobs], indent=2), highlight=False)
        return
    for job in jobs:
        app.console.print(f"{job.namespace}/{job.name}: {job.phase}", highlight=False)
    if not jobs:
        app.console.print(f"No PyTorchJobs in namespace {namespace}.")


@train_app.command("logs")
def logs(
    ctx: typer.Context,
    *,
    name: str = NameArg,
    org: str | None = options.Org,
    env: str = options.EnvDefaultSandbox,
    namespace: str = Namespace,
    all_pods: bool = typer.Option(False, "--all", help="Logs of every pod, not just the master."),
    follow: bool = typer.Option(
        False, "--follow", "-f", help="Stream the logs until the pods end."
    ),
    kubeconfig: str | None = Kubeconfig,
) -> None:
    """Print the logs of a job's master pod (or of every pod with --all).

    Examples:

      platformctl train logs pytorch-ddp --org ExampleOrg --env dev --follow
    """
    from platformctl.cluster import training

    app: AppContext = ctx.obj
    path, _ = _target(app, org, env, kubeconfig)
    found = training.logs(path, name, namespace, master_only=not all_pods, follow=follow)
    if not found:
        app.err.print(f"No pods of PyTorchJob {namespace}/{name} have logs yet.")
    for pod, text in found.items():
        app.console.print(f"[bold]== {pod}[/]")
        app.console.out(text, highlight=False)


@train_app.command("delete")
def delete(
    ctx: typer.Context,
    *,
    name: str = NameArg,
    org: str | None = options.Org,
    env: str = options.EnvDefaultSandbox,
    namespace: str = Namespace,
    kubeconfig: str | None = Kubeconfig,
    dry_run: bool = options.DryRun,
) -> None:
    """Delete a job; its pods and code ConfigMap are removed with it.

    Examples:

      platformctl train delete pytorch-ddp --org ExampleOrg --env sandbox
    """
    from platformctl.cluster import training

    app: AppContext = ctx.obj
    path, _ = _target(app, org, env, kubeconfig)
    if dry_run:
        app.console.print(f"Would delete PyTorchJob {namespace}/{name} using {path}.")
        return
    training.delete(path, name, namespace)
    app.console.print(f"Deleted PyTorchJob {namespace}/{name}.")


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")
