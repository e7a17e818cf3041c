"""Small sound input files the baselines use (written on the fly, nothing shipped)."""

from __future__ import annotations

VERRA_HEADER = ("Issuance Date,Sustainable Development Goals,Vintage Start,Vintage End,ID,Name,Country/Area,"
                "Project Type,Methodology,Total Vintage Quantity,Quantity Issued,Serial Number,"
                "Additional Certifications,Retirement/Cancellation Date,Retirement Beneficiary,Retirement Reason,"
                "Retirement Details")


def verra_transactions() -> str:
    """One active (issued, not retired) Verra serial block of 425 VCUs, in the export's layout
    (the first row of the OffsetsDB sample without its retirement date)."""
    row = ("2026-04-03,,2020-01-01,2020-12-31,1340,Bale Mountains Eco-region REDD+ project,Ethiopia,"
           "Agriculture Forestry and Other Land Use,VM0015,\"1,454,054\",425,"
           "19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1,CCB-No Distinction,,,,")
    return VERRA_HEADER + "\n" + row + "\n"


def published(world, tree_size: int | None = None) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Files for the published-roots baselines, in the world's folder, made without writing to its
    database: a signing key, the checkpoint of the world's first ``tree_size`` entries (default:
    all) signed with it, and the consistency proof from that size to the whole journal.

    Returns the paths: ``key``, ``public_key``, ``checkpoint``, ``consistency`` (the last only
    when ``tree_size`` is below the journal's size)."""
    import json

    from ledger import proofs
    from ledger.signing import generate_key_file, load_private_key, sign_checkpoint

    folder = world.workdir / "published"
    folder.mkdir(exist_ok=True)
    key = folder / "checkpoint.key"
    if not key.exists():
        generate_key_file(key)
    with world.service.db.read() as s:
        size = proofs.journal_size(s)
        n = tree_size or size
        doc = sign_checkpoint(load_private_key(key), tree_size=n, root=proofs.root_at(s, n).hex(),
                              head_hash=proofs.head_hash_at(s, n), created_at="2026-01-01T00:00:00+00:00")
        out = {"key": str(key), "public_key": f"{key}.pub", "checkpoint": str(folder / f"checkpoint-{n}.json")}
        (folder / f"checkpoint-{n}.json").write_text(json.dumps(doc), encoding="utf-8")
        if n < size:
            cons = proofs.consistency_proof_document(s, n, size)
            out["consistency"] = str(folder / f"consistency-{n}-{size}.json")
            (folder / f"consistency-{n}-{size}.json").write_text(json.dumps(cons), encoding="utf-8")
            proof = proofs.inclusion_proof_document(s, 1, n)
            out["proof"] = str(folder / f"proof-1-{n}.json")
            (folder / f"proof-1-{n}.json").write_text(json.dumps(proof), encoding="utf-8")
    return out
