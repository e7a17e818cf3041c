"""Refusal messages of the person register, in Chinese and English.

To be merged into :data:`sinkledger.catalogue.refusals.REFUSALS` (the one catalogue). No template names a
personal value: a refusal is shown on screen and written to logs, so it says which field is
wrong and why, never what was typed.
"""

from __future__ import annotations

PEOPLE_REFUSALS: dict[str, tuple[str, str]] = {
    # Validation (ledger/people/validation.py).
    "person_name_invalid": (
        "姓名无效：须为 2 至 50 个文字，不含数字或符号。",
        "Invalid name: 2 to 50 letters, without digits or symbols.",
    ),
    "resident_id_format_invalid": (
        "居民身份证号码格式无效：须为 18 位，前 17 位为数字，最后一位为数字或 X。",
        "Invalid resident ID number: 18 characters, 17 digits then a digit or X.",
    ),
    "resident_id_first_generation": (
        "15 位第一代身份证号码已于 2013 年 1 月 1 日停止使用，请填写现行 18 位号码。",
        "15-digit first-generation ID numbers ceased to be valid on 1 January 2013; enter the current 18-digit number.",
    ),
    "resident_id_region_invalid": (
        "居民身份证号码的地址码无效（前两位不是省级行政区划代码）。",
        "The resident ID number's region code is invalid (its first two digits name no province).",
    ),
    "resident_id_birth_date_invalid": (
        "居民身份证号码中的出生日期无效。",
        "The birth date inside the resident ID number is not a valid date.",
    ),
    "resident_id_birth_date_in_future": (
        "居民身份证号码中的出生日期晚于今天。",
        "The birth date inside the resident ID number is after today.",
    ),
    "resident_id_check_digit_invalid": (
        "居民身份证号码校验码错误（GB 11643 / ISO 7064 MOD 11-2），请核对。",
        "The resident ID number's check digit is wrong (GB 11643 / ISO 7064 MOD 11-2); check the number.",
    ),
    "phone_invalid": (
        "电话号码无效：须为 11 位手机号（1 开头，第二位 3–9）或带区号的固定电话（如 0572-1234567）。",
        ("Invalid phone number: an 11-digit mobile number (1, then 3-9) or a landline with its area code "
        "(e.g. 0572-1234567)."),
    ),
    "bank_account_invalid": (
        "银行账号无效：须为 12 至 25 位数字。",
        "Invalid bank account number: 12 to 25 digits.",
    ),
    "bank_card_check_digit_invalid": (
        "银联卡号（62 开头）校验位错误（Luhn），请核对。",
        "The UnionPay card number (starting 62) fails its Luhn check digit; check the number.",
    ),
    "bank_name_required": ("填写银行账号时须同时填写开户行。", "A bank account needs the name of its bank."),
    "bank_name_invalid": ("开户行名称无效（2 至 60 个字符）。", "Invalid bank name (2 to 60 characters)."),
    "collection_purpose_invalid": (
        "须写明收集个人信息的目的（2 至 200 个字符）。",
        "State the purpose of collecting the personal data (2 to 200 characters).",
    ),
    "consent_date_invalid": (
        "同意日期无效：须为不晚于今天的日期（YYYY-MM-DD）。",
        "Invalid consent date: a date no later than today (YYYY-MM-DD).",
    ),
    # The register (ledger/people/register.py).
    "person_party_not_household": (
        "主体 {party}（{kind}）不是农户；个人信息登记簿只登记农户（自然人）。",
        "Party {party} ({kind}) is not a household; the person register holds households (natural persons) only.",
    ),
    "person_not_registered": ("农户 {party} 尚未登记个人信息。", "No personal data is registered for household {party}."),
    "person_already_registered": (
        "农户 {party} 已登记个人信息；如需修改请使用更正。",
        "Personal data of household {party} is already registered; use a correction to change it.",
    ),
    "person_erased": (
        "农户 {party} 的个人信息已于 {erased_at} 删除。",
        "The personal data of household {party} was erased on {erased_at}.",
    ),
    "resident_id_already_registered": (
        "该居民身份证号码已登记在另一农户名下。",
        "This resident ID number is already registered for another household.",
    ),
    "correction_changes_nothing": ("更正未改变任何信息。", "The correction changes nothing."),
    "person_field_unknown": ("“{field}”不是可更正的个人信息项。", "'{field}' is not a correctable personal field."),
    "handler_not_collection_centre": (
        "个人信息处理者 {party} 须为收储中心。",
        "The personal data handler {party} must be a collection centre.",
    ),
    "access_purpose_invalid": (
        "查阅目的“{purpose}”无效；可选：{choices}。",
        "Invalid access purpose '{purpose}'; one of: {choices}.",
    ),
    "designation_user_invalid": (
        "用户“{username}”不是收储中心用户，不能指定为支付专员。",
        "User '{username}' is not a collection-centre user and cannot be designated payment officer.",
    ),
    "erasure_reason_required": (
        "删除须写明依据（如本人申请的编号和日期），不得包含个人信息。",
        "An erasure needs its grounds (e.g. the request's number and date), without personal data.",
    ),
    "correction_reason_required": (
        "更正须写明原因（如本人申请或核对结果），不得包含个人信息。",
        "A correction needs its reason (e.g. the person's request or a check), without personal data.",
    ),
    # A warning, not a refusal: shown when a household's pseudonym (which is in the journal for
    # ever) contains the person's registered name or ID number.
    "party_name_reveals_person": (
        "警告：农户 {party} 的化名含有其真实姓名或证件号，而化名已写入不可更改的流水；今后登记农户请只用化名。",
        ("Warning: the pseudonym of household {party} contains the person's real name or ID number, and the "
        "pseudonym is in the unchangeable journal; register future households by pseudonym only."),
    ),
    # The data key (ledger/people/keys.py).
    "data_key_missing": (
        "未配置个人信息加密密钥：请设置 SINKLEDGER_DATA_KEY（sinkledger people keygen 可生成）或密钥文件 {path}。",
        ("No data key for personal data: set SINKLEDGER_DATA_KEY (sinkledger people keygen makes one) "
        "or provide the key file {path}."),
    ),
    "data_key_invalid": (
        "个人信息加密密钥无效：须为 32 字节密钥的 base64 编码。",
        "Invalid data key: it must be the base64 encoding of 32 bytes.",
    ),
    "data_key_file_exposed": (
        "密钥文件 {path} 可被其他用户读取（权限 {mode}），请改为 0600。",
        "The key file {path} is readable by other users (mode {mode}); make it 0600.",
    ),
    "data_key_mismatch": (
        "个人信息加密密钥与数据库中登记的密钥不一致：请使用加密这些数据时的密钥。",
        "The data key differs from the key this database's personal data was encrypted with; use that key.",
    ),
    "personal_data_undecryptable": (
        "农户 {party} 的个人信息无法解密（密钥错误或数据被改动）。",
        "The personal data of household {party} cannot be decrypted (wrong key or altered data).",
    ),
}
