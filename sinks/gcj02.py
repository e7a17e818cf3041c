"""GCJ-02 ("Mars coordinates") to and from WGS84 / CGCS2000 longitude and latitude.

GCJ-02 is the obfuscated datum that Gaode (AMap), Tencent and Google-China maps use. Points
digitised on those maps sit about 0.5 km from their true WGS84 position (486-566 m around
Huzhou). The forward transform below is the widely published reconstruction of the
obfuscation (Krasovsky 1940 ellipsoid, a = 6378245 m, e^2 = 0.006693421622965943), as found
in the public-domain ``prcoords`` and in ``eviltransform``; it is written out again here from
that formula, not copied. The exact algorithm is not public, but the reconstruction matches
Gaode tiles to well under a metre, which is all that parcel work needs.

The inverse (GCJ-02 to WGS84) has no closed form; :func:`gcj02_to_wgs84` solves it by
fixed-point iteration until the round trip closes to 1e-11 degree (about a micrometre).

Outside a rectangle around China (longitude 72.004-137.8347 E, latitude 0.8293-55.8271 N,
the box the published formula uses) GCJ-02 equals WGS84 and nothing is shifted. CGCS2000
(EPSG:4490) and WGS84 differ by centimetres, so the functions serve both.
"""

from __future__ import annotations

import math

import numpy as np
import shapely

__all__ = [
    "gcj02_to_wgs84",
    "gcj02_to_wgs84_array",
    "geometry_gcj02_to_wgs84",
    "geometry_wgs84_to_gcj02",
    "is_in_china",
    "wgs84_to_gcj02",
    "wgs84_to_gcj02_array",
]

KRASOVSKY_SEMI_MAJOR_AXIS_M = 6378245.0
KRASOVSKY_ECCENTRICITY_SQUARED = 0.00669342162296594323

CHINA_LON_MIN_DEG, CHINA_LON_MAX_DEG = 72.004, 137.8347
CHINA_LAT_MIN_DEG, CHINA_LAT_MAX_DEG = 0.8293, 55.8271

INVERSE_TOLERANCE_DEG = 1e-11
INVERSE_MAX_ITERATIONS = 30


def is_in_china(lon, lat):
    """Tell whether a point lies in the rectangle where GCJ-02 applies.

    Parameters
    ----------
    lon, lat : float or numpy.ndarray
        Longitude and latitude in degrees.

    Returns
    -------
    bool or numpy.ndarray of bool
        True inside the published China box (edges included).

    Examples
    --------
    >>> is_in_china(119.68, 30.48), is_in_china(2.35, 48.85)
    (True, False)
    """
    inside = (
        (lon >= CHINA_LON_MIN_DEG) & (lon <= CHINA_LON_MAX_DEG)
        & (lat >= CHINA_LAT_MIN_DEG) & (lat <= CHINA_LAT_MAX_DEG)
    )
    return bool(inside) if np.ndim(inside) == 0 else inside


def _offset_deg(lon, lat, sin, cos, sqrt, absolute):
    """Return the GCJ-02 shift (dlon, dlat) in degrees at a WGS84 point.

    The math functions are parameters so that the same formula serves Python floats
    (``math``) and numpy arrays (``numpy``) without drifting apart.
    """
    x = lon - 105.0
    y = lat - 35.0
    pi = math.pi
    common = (20.0 * sin(6.0 * x * pi) + 20.0 * sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(absolute(x))
    dlat = dlat + common
    dlat = dlat + (20.0 * sin(y * pi) + 40.0 * sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat = dlat + (160.0 * sin(y / 12.0 * pi) + 320.0 * sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(absolute(x))
    dlon = dlon + common
    dlon = dlon + (20.0 * sin(x * pi) + 40.0 * sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon = dlon + (150.0 * sin(x / 12.0 * pi) + 300.0 * sin(x / 30.0 * pi)) * 2.0 / 3.0
    lat_rad = lat / 180.0 * pi
    magic = 1.0 - KRASOVSKY_ECCENTRICITY_SQUARED * sin(lat_rad) ** 2
    sqrt_magic = sqrt(magic)
    a = KRASOVSKY_SEMI_MAJOR_AXIS_M
    dlat = dlat * 180.0 / (a * (1.0 - KRASOVSKY_ECCENTRICITY_SQUARED) / (magic * sqrt_magic) * pi)
    dlon = dlon * 180.0 / (a / sqrt_magic * cos(lat_rad) * pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """Shift one WGS84 (or CGCS2000) point to GCJ-02.

    Parameters
    ----------
    lon, lat : float
        WGS84 longitude and latitude in degrees.

    Returns
    -------
    tuple of float
        GCJ-02 ``(lon, lat)`` in degrees; the input unchanged outside China.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(120.0, 30.0)
    >>> round(lon - 120.0, 5), round(lat - 30.0, 5)
    (0.00466, -0.00247)
    """
    lon, lat = float(lon), float(lat)
    if not is_in_china(lon, lat):
        return lon, lat
    dlon, dlat = _offset_deg(lon, lat, math.sin, math.cos, math.sqrt, abs)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]:
    """Recover the WGS84 point whose GCJ-02 image is ``(lon, lat)``.

    Solves ``wgs84_to_gcj02(w) == g`` by fixed-point iteration; each step shrinks the error
    by a factor of about 1000, so three or four steps reach the 1e-11 degree tolerance.

    Parameters
    ----------
    lon, lat : float
        GCJ-02 longitude and latitude in degrees.

    Returns
    -------
    tuple of float
        WGS84 ``(lon, lat)`` in degrees; the input unchanged outside China.

    Examples
    --------
    >>> g = wgs84_to_gcj02(119.68, 30.48)
    >>> w = gcj02_to_wgs84(*g)
    >>> abs(w[0] - 119.68) < 1e-9 and abs(w[1] - 30.48) < 1e-9
    True
    """
    lon, lat = float(lon), float(lat)
    if not is_in_china(lon, lat):
        return lon, lat
    wgs_lon, wgs_lat = lon, lat
    for _ in range(INVERSE_MAX_ITERATIONS):
        dlon, dlat = _offset_deg(wgs_lon, wgs_lat, math.sin, math.cos, math.sqrt, abs)
        error_lon = wgs_lon + dlon - lon
        error_lat = wgs_lat + dlat - lat
        wgs_lon -= error_lon
        wgs_lat -= error_lat
        if max(abs(error_lon), abs(error_lat)) < INVERSE_TOLERANCE_DEG:
            break
    return wgs_lon, wgs_lat


def wgs84_to_gcj02_array(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`wgs84_to_gcj02` over numpy arrays (or anything array-like).

    Parameters
    ----------
    lon, lat : array_like of float
        WGS84 longitudes and latitudes in degrees, broadcastable to one shape.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitudes and latitudes in degrees (float64, a new array each); points
        outside China are returned unchanged.
    """
    lon, lat = np.broadcast_arrays(np.asarray(lon, dtype=np.float64),
                                   np.asarray(lat, dtype=np.float64))
    inside = is_in_china(lon, lat)
    dlon, dlat = _offset_deg(lon, lat, np.sin, np.cos, np.sqrt, np.abs)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def gcj02_to_wgs84_array(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`gcj02_to_wgs84` over numpy arrays (or anything array-like).

    Parameters
    ----------
    lon, lat : array_like of float
        GCJ-02 longitudes and latitudes in degrees, broadcastable to one shape.

    Returns
    -------
    tuple of numpy.ndarray
        WGS84 longitudes and latitudes in degrees; points outside China unchanged.
    """
    lon, lat = np.broadcast_arrays(np.asarray(lon, dtype=np.float64),
                                   np.asarray(lat, dtype=np.float64))
    inside = is_in_china(lon, lat)
    wgs_lon, wgs_lat = lon.copy(), lat.copy()
    for _ in range(INVERSE_MAX_ITERATIONS):
        dlon, dlat = _offset_deg(wgs_lon, wgs_lat, np.sin, np.cos, np.sqrt, np.abs)
        error_lon = np.where(inside, wgs_lon + dlon - lon, 0.0)
        error_lat = np.where(inside, wgs_lat + dlat - lat, 0.0)
        wgs_lon = wgs_lon - error_lon
        wgs_lat = wgs_lat - error_lat
        if error_lon.size == 0 or max(np.abs(error_lon).max(), np.abs(error_lat).max()) \
                < INVERSE_TOLERANCE_DEG:
            break
    return wgs_lon, wgs_lat


def _transform_geometry(geometry, array_function):
    # interleaved=False hands the function separate x and y arrays, as our array API takes.
    return shapely.transform(geometry, array_function, include_z=False, interleaved=False)


def geometry_gcj02_to_wgs84(geometry):
    """Move every vertex of a shapely geometry from GCJ-02 to WGS84.

    Parameters
    ----------
    geometry : shapely.Geometry or array_like of shapely.Geometry
        Geometry with longitude/latitude coordinates in GCJ-02 degrees.

    Returns
    -------
    shapely.Geometry or numpy.ndarray
        The same geometry type with WGS84 coordinates; Z values are dropped (2D output).

    Notes
    -----
    Vertices are moved, edges are not densified. The shift changes by well under a metre
    across a few kilometres, so parcel-sized geometries keep their shape; do not use this on
    long edges that cross hundreds of kilometres.
    """
    return _transform_geometry(geometry, gcj02_to_wgs84_array)


def geometry_wgs84_to_gcj02(geometry):
    """Move every vertex of a shapely geometry from WGS84 to GCJ-02.

    Parameters
    ----------
    geometry : shapely.Geometry or array_like of shapely.Geometry
        Geometry with WGS84 (or CGCS2000) longitude/latitude coordinates in degrees.

    Returns
    -------
    shapely.Geometry or numpy.ndarray
        The same geometry type with GCJ-02 coordinates; Z values are dropped (2D output).
    """
    return _transform_geometry(geometry, wgs84_to_gcj02_array)
