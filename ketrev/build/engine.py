"""The papermill engine ``ketrev``: a notebook's cells run in an in-process ipykernel.

It imports nothing heavy at module level: papermill loads it through an entry point
while papermill itself is being imported.
"""

from __future__ import annotations

from typing import Any

__all__ = ["InProcessEngine"]


class InProcessEngine:
    """Papermill engine ``ketrev``: run the cells in an in-process ipykernel of this process.

    Used inside a fresh forked worker (see :func:`run_jobs`), it gives each notebook a
    kernel that has not run anything, with every module already imported. Outputs are
    built from the kernel's messages by ``nbformat.v4.output_from_msg``, as nbclient does.
    """

    @classmethod
    def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, **kwargs: Any) -> None:
        from ipykernel.inprocess.manager import InProcessKernelManager
        from traitlets.config import Config

        # As papermill does for its kernels: no history file. The executed copy is written when
        # the notebook ends (or fails), not after every cell: a worker is not watched live.
        km = InProcessKernelManager(config=Config({"HistoryManager": {"hist_file": ":memory:"}}))
        km.start_kernel()
        kc = km.client()
        kc.start_channels()
        output_path, nb_man.output_path = nb_man.output_path, None
        try:
            for index, cell in enumerate(nb_man.nb.cells):
                nb_man.cell_start(cell, index)
                try:
                    failed = cell.cell_type == "code" and cell.source.strip() and not cls._run_cell(kc, cell)
                    if failed:
                        nb_man.cell_exception(cell, index)
                finally:
                    nb_man.cell_complete(cell, index)
                if failed:
                    break
            kc.kernel_info()
            nb_man.nb.metadata["language_info"] = kc.get_shell_msg(timeout=10)["content"]["language_info"]
        finally:
            nb_man.output_path = output_path
            kc.stop_channels()
            km.shutdown_kernel()

    @staticmethod
    def _run_cell(kc: Any, cell: Any) -> bool:
        """Execute one code cell; store its outputs and execution count; return whether it succeeded."""
        from nbformat.v4 import output_from_msg

        kc.execute(cell.source, store_history=True, allow_stdin=False)
        reply = kc.get_shell_msg(timeout=None)["content"]
        outputs = []
        for msg in kc.iopub_channel.get_msgs():
            kind = msg["msg_type"]
            if kind == "clear_output":
                outputs.clear()
            elif kind in ("stream", "display_data", "execute_result", "error"):
                outputs.append(output_from_msg(msg))
        cell.outputs = outputs
        cell.execution_count = reply.get("execution_count")
        return reply["status"] == "ok"

    @classmethod
    def execute_notebook(cls, nb: Any, kernel_name: str, **kwargs: Any) -> Any:
        """papermill's engine protocol: run ``nb`` under papermill's execution manager."""
        from papermill.engines import Engine

        return Engine.execute_notebook.__func__(cls, nb, kernel_name, **kwargs)

    @classmethod
    def nb_kernel_name(cls, nb: Any, name: str | None = None) -> str:
        from papermill.engines import nb_kernel_name

        return nb_kernel_name(nb, name)

    @classmethod
    def nb_language(cls, nb: Any, language: str | None = None) -> str:
        from papermill.engines import nb_language

        return nb_language(nb, language)
