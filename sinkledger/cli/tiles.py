"""``sinkledger tiles build``: make the parcel map's low-zoom tiles ahead, into the MBTiles
archives beside an SQLite database (issue 17; :mod:`sinkledger.services.tile_archive`).

The app server does the same in the background after a change; this command does it at once,
with a progress bar (after a large import, or the county demo, so the first visitor of the map
finds its tiles made). On PostgreSQL there is nothing to build: PostGIS makes each tile.
"""

from __future__ import annotations

import click

from sinkledger.cli.common import Ctx, WholeRange, emit, progress_bar, reads


@click.group()
def tiles() -> None:
    """Parcel map tiles (SQLite: MBTiles archives beside the database)."""


@tiles.command("build")
@click.option("--max-zoom", type=WholeRange(min=0, max=16), default=12, show_default=True,
              help="Make every tile over the parcels from zoom 0 to this one.")
@click.option("--lang", "langs", type=click.Choice(["zh", "en"]), multiple=True,
              help="The tiles' language (repeat for both; default both).")
@reads
def build(obj: Ctx, max_zoom: int, langs: tuple[str, ...], as_json: bool) -> None:
    """Make the tiles not stored yet, from zoom 0 to --max-zoom, for the current parcels."""
    # deferred on purpose: the map stack loads only for this command
    from sinkledger.services.tile_archive import LANGS
    from sinkledger.services.tiles import TileSource

    svc = obj.service
    source = TileSource.from_settings(svc.settings)
    source.fill_in_background = False
    if source.archive_dir is None:
        emit({"archives": [], "tiles": 0, "made": 0, "note": "PostgreSQL: PostGIS makes each tile; nothing to build"},
             as_json, lambda r: click.echo(r["note"]))
        return
    with progress_bar() as bar:
        task = bar.add_task("tiles", total=None)
        out = source.fill(range(0, max_zoom + 1), langs or LANGS,
                          progress=lambda i, n: bar.update(task, completed=i, total=n))
    emit(out, as_json, lambda r: click.echo(
        f"{r['made']} tiles made, {r['already_stored']} already stored (parcels version {r['version']}): "
        + ", ".join(r["archives"])))
