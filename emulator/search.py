"""The world's searches: users by name, tags by name, locations near a point or by venue id,
public media near a point."""

from __future__ import annotations

import numpy as np

from .state import State

EARTH_RADIUS_M = 6_371_008.8


def _haversine_m(lat: float, lng: float, lats: np.ndarray, lngs: np.ndarray) -> np.ndarray:
    phi1, phi2 = np.radians(lat), np.radians(lats)
    dphi, dlmb = phi2 - phi1, np.radians(lngs - lng)
    a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


class Search:
    """Searches over one world's state, with the indices they need (fixed by the seed)."""

    def __init__(self, state: State):
        self._state = state
        snap = state.snap
        self._user_keys = [f"{name}\n{full.lower()}" for name, full in zip(snap.username, snap.full_name)]
        self._venue_indices = {
            "facebook_places_id": {str(v): i for i, v in enumerate(snap.location_places_id.tolist())},
            "foursquare_v2_id": {v: i for i, v in enumerate(snap.location_foursquare_v2_id)},
            "foursquare_id": {str(v): i for i, v in enumerate(snap.location_foursquare_id.tolist())},
        }

    def users(self, q: str) -> list[str]:
        """Users whose username or full name contains `q` (case-insensitive): the exact
        username first, then usernames starting with `q`, then the rest; most followed first
        within each group."""
        q = q.strip().lower()
        if not q:
            return []
        found = [i for i, key in enumerate(self._user_keys) if q in key]
        followers = self._state.follows.backward.counts.values
        names = self._state.snap.username

        def rank(i: int) -> tuple:
            name = names[i]
            return (name != q, not name.startswith(q), -int(followers[i]), i)

        return [self._state.user_ids[i] for i in sorted(found, key=rank)]

    def tags(self, q: str) -> list[str]:
        """Tag names containing `q`: the exact name first, then by media count."""
        q = q.strip().lstrip("#").lower()
        if not q:
            return []
        count = self._state.taggings_by_tag.count
        found = [(name != q, -count(i), name) for name, i in self._state.tag_index.items() if q in name]
        return [name for *_, name in sorted(found)]

    def locations(
        self,
        lat: float,
        lng: float,
        distance_m: float,
        facebook_places_id: str | None = None,
        foursquare_v2_id: str | None = None,
        foursquare_id: str | None = None,
    ) -> list[str]:
        """Location ids within `distance_m` of (lat, lng), nearest first. With a venue id
        (`facebook_places_id`, else `foursquare_v2_id`, else `foursquare_id`), the location with
        that id, or none (coordinates are then ignored)."""
        state = self._state
        for kind, venue_id in (
            ("facebook_places_id", facebook_places_id),
            ("foursquare_v2_id", foursquare_v2_id),
            ("foursquare_id", foursquare_id),
        ):
            if venue_id is not None:
                index = self._venue_indices[kind].get(str(venue_id))
                return [] if index is None else [state.location_ids[index]]
        distance = _haversine_m(lat, lng, state.snap.location_lat, state.snap.location_lng)
        near = np.flatnonzero(distance <= distance_m)
        near = near[np.lexsort((near, distance[near]))]
        return [state.location_ids[i] for i in near.tolist()]

    def media(
        self, lat: float, lng: float, distance_m: float, min_ts: int | None = None, max_ts: int | None = None
    ) -> list[tuple[str, float]]:
        """(media_id, distance in metres) of public located media within `distance_m`,
        created in [min_ts, max_ts] (unix seconds, either bound optional), newest first."""
        state = self._state
        distance = _haversine_m(lat, lng, state.snap.location_lat, state.snap.location_lng)
        near = np.flatnonzero(distance <= distance_m).tolist()
        if not near:
            return []
        media = np.concatenate([state.media_by_location.items(i) for i in near])
        times = state.media_time.values[media]
        keep = np.ones(len(media), dtype=bool)
        if min_ts is not None:
            keep &= times >= int(min_ts)
        if max_ts is not None:
            keep &= times <= int(max_ts)
        media = np.sort(media[keep])[::-1]
        where = state.media_location.values[media]
        return list(zip(state.media_ids(media), distance[where].tolist()))
