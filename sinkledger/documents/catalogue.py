"""The text of every document, in Chinese and English: ``key: (zh, en)``.

One pair per key, so the two languages cannot drift apart; both sides name the same
``{placeholders}`` (tests/documents/test_documents.py checks). :func:`text` picks the side.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

LANGS: Final = ("zh", "en")

TEXTS: Final[Mapping[str, tuple[str, str]]] = {
    # -- every document
    "none": ("无", "none"),
    "page_of": ("第 {page} 页，共 {pages} 页", "Page {page} of {pages}"),
    "list_sep": ("、", ", "),
    "tonnes": ("{t} 吨", "{t} t"),
    "tonnes_co2e": ("{t} 吨 CO2e", "{t} t CO2e"),
    "period_range": ("{start} 至 {end}", "{start} to {end}"),
    "col_date": ("日期", "Date"),
    "col_parcel": ("地块", "Parcel"),
    "col_contract": ("合同", "Contract"),
    "col_status": ("状态", "Status"),
    "col_share": ("份额", "Share"),
    "col_sink_type": ("类型", "Type"),
    "col_sale": ("交易", "Sale"),
    "col_due_yuan": ("应得（元）", "Due (CNY)"),
    "col_paid_yuan": ("已付（元）", "Paid (CNY)"),
    "col_attributed_t": ("归属（吨）", "Attributed (t)"),
    "col_amount_yuan": ("金额（元）", "Amount (CNY)"),
    # -- sale receipt
    "receipt_blocks_quantity": ("数量（吨）", "Quantity (t)"),
    "receipt_blocks_serials": ("序列号段", "Serial numbers"),
    # -- income statement (收益对账单)
    "st_title": ("碳汇收益对账单", "Carbon-sink income statement"),
    "st_kind_household": ("农户", "Household"),
    "st_kind_collective": ("村集体 / 合作社", "Collective / cooperative"),
    "st_period": ("期间", "Period"),
    "st_generated": ("生成时间", "Generated"),
    "st_summary": ("概要", "Summary"),
    "st_due": ("本期应得", "Due in period"),
    "st_paid": ("已支付（截至期末）", "Paid (by period end)"),
    "st_outstanding": ("未支付", "Outstanding"),
    "st_received": ("期内收到", "Received in period"),
    "st_attributed": ("归属碳汇量", "Tonnes attributed"),
    "st_attributed_value": ("{t} 吨 CO2e（{n} 笔交易）", "{t} t CO2e ({n} sales)"),
    "st_contracts": ("收储合同", "Collection contracts"),
    "st_term": ("期限", "Term"),
    "st_terms": ("约定", "Terms"),
    "st_costs_note": ("成本说明", "Costs"),
    "st_parcels_shares": ("地块与份额", "Parcels and shares"),
    "st_collective": ("村集体", "Collective"),
    "st_area_mu": ("面积（亩）", "Area (mu)"),
    "st_sales_income": ("交易收益", "Income from sales"),
    "st_parcel_tonnes": ("地块贡献（吨）", "Parcel tonnes"),
    "st_fixed": ("固定收益", "Fixed payments"),
    "st_contract_year": ("合同年度", "Contract year"),
    "st_due_date": ("到期日", "Due date"),
    "st_parcels": ("地块", "Parcels"),
    "st_household_shares": ("农户份额", "Household shares"),
    "st_no_household_shares": ("集体统一经营（无农户份额）", "Run by the collective (no household shares)"),
    "st_sales_distribution": ("交易与分配", "Sales and distribution"),
    "st_quantity_t": ("数量（吨）", "Quantity (t)"),
    "st_gross": ("毛收入（元）", "Gross (CNY)"),
    "st_costs": ("成本（元）", "Costs (CNY)"),
    "st_net": ("净收入（元）", "Net (CNY)"),
    "st_villages": ("归村（元）", "To villages (CNY)"),
    "st_centre": ("收储中心（元）", "Centre (CNY)"),
    "st_by_recipient": ("应付明细（按收款方）", "Due by recipient"),
    "st_recipient": ("收款方", "Recipient"),
    "st_role": ("身份", "Role"),
    "st_outstanding_yuan": ("未付（元）", "Outstanding (CNY)"),
    "st_payments": ("支付记录", "Payments in period"),
    "st_reference": ("凭证号", "Reference"),
    "st_due_item": ("应付款项", "Due item"),
    "st_notes": ("说明：收益按收储合同约定分配：毛收入扣除约定成本为净收入，按比例归村；村集体部分按各地块对所售"
                 "碳汇的贡献吨数分到地块，再按农户份额分到农户。各级以“最大余数法”取整到分，合计与成交金额分毫不差。"
                 "每一行可凭应付款项编号与流水记录在账本中核对（sinkledger income distribution ID / "
                 "sinkledger verify）。",
                 "Notes: income is shared as the collection contract says: gross proceeds less the agreed "
                 "costs are the net, of which the agreed share goes to the villages; a collective's part goes "
                 "to the parcels by the tonnes each contributed to the sale, then to households by their "
                 "shares. Every level rounds to the fen by largest remainder, so the parts add up exactly to "
                 "the sale amount. Each line can be checked against the ledger by its due-item id and journal "
                 "entry (sinkledger income distribution ID / sinkledger verify)."),
    "st_terms_fixed": ("固定收益 {rate} 元/亩/年", "fixed CNY {rate} per mu per year"),
    "st_terms_share": ("净收益 {pct} 归村", "{pct} of net proceeds to the villages"),
    "st_terms_costs": ("约定成本：{costs}", "agreed costs: {costs}"),
    "st_terms_cost_share": ("毛收入的 {pct}", "{pct} of gross"),
    "st_terms_cost_per_t": ("{rate} 元/吨", "CNY {rate}/t"),
    "st_terms_sep": ("；", "; "),
    "status_paid": ("已付清", "paid"),
    "status_partly_paid": ("部分支付", "partly paid"),
    "status_due": ("待支付", "due"),
    "role_household": ("农户", "household"),
    "role_collective": ("村集体", "collective"),
    "role_centre_share": ("收储中心", "collection centre"),
    "role_costs": ("成本", "costs"),
    "role_centre_fixed_terms": ("收储中心（固定收益）", "collection centre (fixed terms)"),
    "role_seller_retained": ("卖方", "seller"),
    # -- court certificate (碳汇补偿证明)
    "cert_title": ("碳汇补偿证明", "Carbon-Sink Compensation Certificate"),
    "cert_subtitle": ("司法生态修复 · 认购碳汇替代性修复",
                      "Judicial ecological restoration: credits bought and retired in substitute"),
    "cert_code_line": ("核验码 {code}　　出具时间 {issued}", "Verification code {code}    Issued {issued}"),
    "cert_case": ("一、案件", "1. Case"),
    "cert_order": ("二、判令", "2. Order"),
    "cert_purchases": ("三、认购与注销", "3. Purchases and retirements"),
    "cert_totals": ("四、合计", "4. Totals"),
    "cert_verification": ("五、核验", "5. Verification"),
    "cert_case_no": ("案号", "Case no."),
    "cert_court": ("法院", "Court"),
    "cert_judgment_date": ("判决日期", "Judgment date"),
    "cert_defendants": ("被告", "Defendant(s)"),
    "cert_ecosystem": ("受损生态系统", "Damaged ecosystem"),
    "cert_ecosystem_value": ("{sink}（{sink_type}），县级区划 {county}", "{sink} ({sink_type}), county {county}"),
    "cert_ecosystem_parcel": ("，地块 {parcel}", ", parcel {parcel}"),
    "cert_area": ("受损面积", "Damaged area"),
    "cert_area_value": ("{ha} 公顷", "{ha} ha"),
    "cert_beneficiary": ("受益对象", "Beneficiary"),
    "cert_order_id": ("判令编号", "Order"),
    "cert_ordered": ("判令内容", "Ordered"),
    "cert_ordered_money": ("认购碳汇金额 {amount}（吨数 = 金额 ÷ 认购时单价，向下取整）",
                           "Buy credits for {amount} (tonnes = amount ÷ price at purchase, rounded down)"),
    "cert_ordered_quantity": ("认购并注销碳汇 {t} 吨 CO2e", "Buy and retire {t} t CO2e"),
    "cert_due_date": ("履行期限", "Due date"),
    "cert_requirement": ("来源要求", "Source requirement"),
    "cert_same_sink_type": ("同一碳汇类型", "same sink type"),
    "cert_same_county": ("同一县", "same county"),
    "cert_seller": ("卖方", "Seller"),
    "cert_quantity": ("数量（吨）", "Quantity (t)"),
    "cert_price": ("单价（元/吨）", "Price (CNY/t)"),
    "cert_retirement": ("注销编号 / 序列号段", "Retirement / serials"),
    "cert_serials": ("{serials}（{t} 吨）", "{serials} ({t} t)"),
    "cert_entry": ("流水第 {seq} 条　合同 {contract}　记录于 {at}", "Entry #{seq}, contract {contract}, recorded {at}"),
    "cert_retired": ("已认购并注销", "Retired"),
    "cert_paid": ("已支付", "Paid"),
    "cert_remainder": ("余额（不足一吨）", "Remainder (less than one tonne)"),
    "cert_remaining": ("尚余", "Remaining"),
    "cert_status": ("履行状态", "Status"),
    "cert_retired_forever": ("上列碳汇已以司法替代性修复名义永久注销，不得再次转让或使用。",
                             "The credits above are retired for judicial substitute restoration and can "
                             "never move again."),
    "cert_code": ("核验码", "Verification code"),
    "cert_how_to_verify": ("扫描二维码，或运行下列命令，对照账本核验本证明：",
                           "Scan the QR code, or run the command below, to check this certificate "
                           "against the ledger:"),
    "cert_entries": ("本证明依据下列流水记录（序号、类型、SHA-256 哈希）：",
                     "Journal entries this certificate rests on (seq, kind, SHA-256):"),
    "cert_checkpoint": ("Merkle 检查点：树大小 {size}，根 {root}", "Merkle checkpoint: tree size {size}, root {root}"),
    "cert_attachment": ("本 PDF 内嵌证明记录 {name}，可据以复算核验码。",
                        "This PDF embeds the certificate record {name}, from which the code can be "
                        "recomputed."),
    "cert_status_fulfilled": ("履行完毕", "fulfilled"),
    "cert_status_partly_fulfilled": ("部分履行", "partly fulfilled"),
    "cert_status_ordered": ("未履行", "not yet fulfilled"),
    # -- personal-data exports
    "ex_title": ("农户个人信息", "Household personal data"),
    "ex_payment_list": ("收益支付清单", "Payment list"),
    "ex_exported_by": ("导出人", "Exported by"),
    "ex_exported_at": ("导出时间", "Exported at"),
    "ex_purpose": ("用途", "Purpose"),
    "ex_note": ("备注", "Note"),
    "ex_notice_full": ("本文件含个人信息，仅限所述用途使用，不得转发；用毕请销毁。",
                       "Contains personal information: use only for the stated purpose, do not forward, "
                       "destroy after use."),
    "ex_notice_masked": ("个人信息已按查阅人权限脱敏。", "Personal data masked according to the reader's permissions."),
    "ex_col_party_id": ("主体编号", "Party"),
    "ex_col_pseudonym": ("化名", "Pseudonym"),
    "ex_col_amount_yuan": ("金额（元）", "Amount (CNY)"),
    "ex_col_due_id": ("应付编号", "Due item"),
    "ex_col_contract_no": ("合同", "Contract"),
    "ex_col_name": ("姓名", "Name"),
    "ex_col_resident_id": ("身份证号", "Resident ID"),
    "ex_col_phone": ("电话", "Phone"),
    "ex_col_bank_name": ("开户行", "Bank"),
    "ex_col_bank_account": ("账号", "Account"),
    "ex_col_status": ("状态", "Status"),
}

SINK_TYPES: Final[Mapping[str, tuple[str, str]]] = {
    "bamboo_forest": ("竹林", "Bamboo forest"), "wetland": ("湿地", "Wetland"), "tea_garden": ("茶园", "Tea garden")}


def text(key: str, lang: str, **values: object) -> str:
    """The text ``key`` in ``lang`` ('zh', anything else is English), with ``values`` filled in."""
    zh, en = TEXTS[key]
    chosen = zh if lang == "zh" else en
    return chosen.format(**values) if values else chosen


def text_or(key: str, lang: str, fallback: str) -> str:
    """The text ``key`` in ``lang``, or ``fallback`` when the catalogue has no such key."""
    return text(key, lang) if key in TEXTS else fallback


def sink_type_name(sink_type: str, lang: str) -> str:
    """``bamboo_forest`` → ``竹林`` / ``Bamboo forest`` (an unknown type as it is)."""
    zh, en = SINK_TYPES.get(sink_type, (sink_type, sink_type))
    return zh if lang == "zh" else en


def checked_lang(lang: object) -> str:
    """``lang`` if it is a document language, else a ``value_invalid`` refusal (field ``lang``)."""
    from sinkledger.base.errors import InvalidInput

    if lang not in LANGS:
        raise InvalidInput("value_invalid", field="lang", value=repr(lang)[:20])
    return str(lang)
