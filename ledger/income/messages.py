"""Refusal messages of the income package, in Chinese and English.

To be merged into :data:`sinkledger.catalogue.refusals.REFUSALS` (the one catalogue); the snippet in
``docs/income.md`` is this dict. Templates use ``str.format`` fields from the refusal's
parameters; Chinese and English carry the same fields.
"""

from __future__ import annotations

INCOME_REFUSALS: dict[str, tuple[str, str]] = {
    # Contracts and documents.
    "contract_not_found": ("找不到收储合同“{contract}”。", "Collection contract '{contract}' not found."),
    "parcel_not_in_contract": (
        "地块 {parcel} 不在收储合同 {contract} 之内。",
        "Parcel {parcel} is not under collection contract {contract}.",
    ),
    # Bundled projects.
    "project_not_found": ("找不到打捆项目“{project}”。", "Bundled project '{project}' not found."),
    "project_code_taken": ("项目代码“{project}”已被使用。", "Project code '{project}' is already taken."),
    "parcel_in_project": (
        "地块 {parcel} 已属于打捆项目 {project}。",
        "Parcel {parcel} is already in bundled project {project}.",
    ),
    "parcel_not_collected": (
        "地块 {parcel} 未与本收储中心签订收储合同，不能打捆。",
        "Parcel {parcel} is under no collection contract of this centre and cannot be bundled.",
    ),
    # Distribution and payments.
    "sale_not_found": ("找不到第 {sale_seq} 条交易。", "Sale {sale_seq} not found."),
    "sale_already_distributed": (
        "第 {sale_seq} 条交易的收益已分配（{distribution}）。",
        "The proceeds of sale {sale_seq} were already distributed ({distribution}).",
    ),
    "sale_has_no_contracted_credits": (
        "第 {sale_seq} 条交易的碳汇均不属于卖方的收储合同，无可分配收益。",
        "No credit of sale {sale_seq} comes from a collection contract of the seller; nothing to distribute.",
    ),
    "contract_not_fixed_payment": (
        "收储合同 {contract} 不是固定收益合同，按交易分配收益。",
        "Collection contract {contract} is not a fixed-payment contract; its proceeds are distributed per sale.",
    ),
    "nothing_to_schedule": (
        "收储合同 {contract} 截至 {through} 没有待排期的合同年度。",
        "Collection contract {contract} has no contract year left to schedule up to {through}.",
    ),
    "distribution_not_found": ("找不到收益分配“{distribution}”。", "Distribution '{distribution}' not found."),
    "due_item_not_found": ("找不到应付款项“{due_id}”。", "Due item '{due_id}' not found."),
    "payment_before_sale": (
        "应付款项 {due_id} 来自 {sale_date} 的交易，付款日期 {paid_date} 不能早于交易日。",
        "Due item {due_id} comes from the sale of {sale_date}; it cannot be paid on {paid_date}, before the sale.",
    ),
    "payment_exceeds_amount_due": (
        "应付款项 {due_id} 尚欠 {outstanding_fen} 分，不能支付 {amount_fen} 分。",
        "Due item {due_id} has {outstanding_fen} fen outstanding; {amount_fen} fen cannot be paid.",
    ),
    # Pledges of future issuances.
    "lien_not_found": ("找不到收储贷质押“{lien}”。", "Lien '{lien}' not found."),
    "lien_not_active": ("收储贷质押“{lien}”已结束（{status}）。", "Lien '{lien}' has ended ({status})."),
    "parcel_under_lien": (
        "地块 {parcel} 的未来签发已质押于 {lien}。",
        "The future issuances of parcel {parcel} are already pledged under {lien}.",
    ),
    # Loss events and claims.
    "loss_stock_unknown": (
        "地块 {parcel} 没有事件发生前的测算结果，无法计算碳损失。",
        "Parcel {parcel} has no estimate from before the event; the carbon lost cannot be computed.",
    ),
    "affected_area_exceeds_parcel": (
        "地块 {parcel} 的受灾面积 {affected_area_ha} 公顷超过其面积 {parcel_area_ha} 公顷。",
        "The affected area of parcel {parcel} ({affected_area_ha} ha) exceeds its area ({parcel_area_ha} ha).",
    ),
    "loss_event_not_found": ("找不到灾害损失事件“{event}”。", "Loss event '{event}' not found."),
    "claim_no_taken": ("理赔编号“{claim_no}”已被使用。", "Claim number '{claim_no}' is already taken."),
}
