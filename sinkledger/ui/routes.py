"""HTTP routes the app serves beside Streamlit's own: parcel vector tiles (issue 17).

``app.py`` defines ``app = st.App(__file__, routes=ROUTES)`` when it is imported as a module,
which ``streamlit run app.py`` (and any ASGI server) does; the script itself still runs as
``__main__`` for every session. The tiles therefore come from the page's own origin: no second
port, nothing for a reverse proxy to add, no request to another host (docs/maps.md).

``GET /tiles/parcels/{version}/{z}/{x}/{y}.pbf?lang=zh|en[&holder=PARTY]``: a Mapbox vector tile
(:mod:`sinkledger.services.tiles`), 204 when the tile holds no parcel. ``version`` is the parcels
version the page drew with: a tile asked for the current version may be cached by the browser for
a day (a change makes a new version, hence new URLs); any other version is answered with the
current parcels and ``no-cache``.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import TYPE_CHECKING

from starlette.responses import Response
from starlette.routing import Route

from sinkledger.ui import activity

if TYPE_CHECKING:  # for annotations only
    from starlette.requests import Request

    from sinkledger.services.tiles import TileSource

TILE_PATH = "/tiles/parcels"
MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
PARTY_ID = re.compile(r"[A-Za-z0-9_.:-]{1,40}")
LOG = logging.getLogger("sinkledger.tiles")
_source: TileSource | None = None
_source_lock = threading.Lock()


def tile_source() -> TileSource:
    """The process's one tile source, on the database the settings name (as the service's)."""
    global _source
    with _source_lock:
        if _source is None:
            # deferred on purpose: the database layer loads on the first tile, not at import
            from sinkledger.config import load_settings
            from sinkledger.services.tiles import TileSource

            _source = TileSource.from_settings(load_settings())
        return _source


def parcel_tile(request: Request) -> Response:
    """One tile; a plain 404 for a tile that does not exist or a malformed holder."""
    p = request.path_params
    lang = request.query_params.get("lang", "zh")
    holder = request.query_params.get("holder") or None
    if lang not in ("zh", "en") or (holder is not None and not PARTY_ID.fullmatch(holder)):
        return Response("not found", status_code=404, media_type="text/plain")
    activity.visited()  # the warm-up's later work waits for a quiet server
    source = tile_source()
    try:
        data, current = source.tile_and_version(p["z"], p["x"], p["y"], lang=lang, holder=holder)
    except ValueError:
        return Response("not found", status_code=404, media_type="text/plain")
    except Exception:  # a tile that fails is logged and answered 500; the map stays up
        LOG.exception("tile %s/%s/%s failed", p["z"], p["x"], p["y"])
        return Response("tile failed", status_code=500, media_type="text/plain")
    cache = "public, max-age=86400" if p["version"] == current else "no-cache"
    if not data:
        return Response(status_code=204, headers={"Cache-Control": cache})
    return Response(data, media_type=MVT_MEDIA_TYPE, headers={"Cache-Control": cache})


ROUTES = [Route(TILE_PATH + "/{version:int}/{z:int}/{x:int}/{y:int}.pbf", parcel_tile, methods=["GET"])]
