"""The message catalogue: every refusal and every UI string, in Chinese and English.

Refusal codes are stable identifiers that read as sentences (TigerBeetle style). Templates use
``str.format`` fields filled from the refusal's parameters; a missing field renders as ``?``
rather than failing, so a refusal is always displayable.
"""

from __future__ import annotations

import string
from typing import Any, Mapping

REFUSALS: dict[str, tuple[str, str]] = {
    # Actors and permissions.
    "actor_unknown": ("未知的操作人“{actor}”。", "Unknown actor '{actor}'."),
    "actor_required": ("必须指定操作人。", "An actor is required."),
    "not_permitted": (
        "角色“{role}”无权执行“{command}”。",
        "Role '{role}' is not permitted to run '{command}'.",
    ),
    "username_taken": ("用户名“{username}”已被使用。", "User name '{username}' is already taken."),
    "credentials_invalid": ("用户名或密码错误。", "Wrong user name or password."),
    # Requests and idempotency.
    "request_id_required": ("必须提供请求编号。", "A request id is required."),
    "request_id_conflict": (
        "请求编号“{request_id}”已用于内容不同的另一请求。",
        "Request id '{request_id}' was already used for a different request.",
    ),
    "field_required": ("缺少必填项：{field}。", "Missing required field: {field}."),
    "value_invalid": ("{field} 的值无效：{value}。", "Invalid value for {field}: {value}."),
    "path_unusable": ("无法使用路径“{path}”：{reason}。", "Cannot use the path '{path}': {reason}."),
    "usage_invalid": ("命令用法有误：{detail}", "Invalid command usage: {detail}"),
    "database_url_invalid": (
        "数据库地址无效：{url}（应为 SQLAlchemy 地址，如 sqlite:///路径 或 postgresql+psycopg://…）。",
        "Invalid database URL: {url} (expected an SQLAlchemy URL such as sqlite:///path or postgresql+psycopg://...).",
    ),
    "database_unreachable": ("无法连接数据库 {url}：{reason}", "Cannot reach the database {url}: {reason}"),
    "query_value_invalid": (
        "请求中有无法用于数据库查询的值（{detail}），请检查输入。",
        "A value in the request cannot be used in a database query ({detail}); check the input.",
    ),
    "text_too_long": (
        "{field} 过长（最多 {max_chars} 个字符）。",
        "{field} is too long (at most {max_chars} characters).",
    ),
    # Records.
    "party_not_found": ("找不到主体“{party}”。", "Party '{party}' not found."),
    "party_id_taken": ("主体编号“{party}”已被使用。", "Party id '{party}' is already taken."),
    "account_not_found": ("找不到账户“{account}”。", "Account '{account}' not found."),
    "parcel_not_found": ("找不到地块“{parcel}”。", "Parcel '{parcel}' not found."),
    "estimate_not_found": ("找不到测算结果“{estimate}”。", "Estimate '{estimate}' not found."),
    "entry_not_found": ("找不到流水第 {seq} 条。", "Journal entry {seq} not found."),
    "retirement_not_found": ("找不到注销记录“{retirement}”。", "Retirement '{retirement}' not found."),
    "methodology_unknown": ("未知的方法学“{methodology}”。", "Unknown methodology '{methodology}'."),
    "sink_type_unknown": ("未知的碳汇类型“{sink_type}”。", "Unknown sink type '{sink_type}'."),
    "parcel_code_taken": ("地块编号“{parcel_code}”已被使用。", "Parcel code '{parcel_code}' is already in use."),
    # Quantities and money.
    "quantity_must_be_positive": ("数量必须为正整数（吨）。", "Quantity must be a positive whole number of tonnes."),
    "price_must_not_be_negative": ("单价不能为负。", "The unit price cannot be negative."),
    "accounts_must_be_different": ("买卖双方不能是同一账户。", "Seller and buyer must be different accounts."),
    "insufficient_balance": (
        "可用余额不足：需要 {requested} 吨，可用 {available} 吨。",
        "Insufficient available balance: {requested} t requested, {available} t available.",
    ),
    "serials_invalid": ("序列号段格式无效：{serials}。", "Invalid serial range: {serials}."),
    "serials_unknown": ("序列号段 {serials} 不存在。", "Serial range {serials} does not exist."),
    "serials_quantity_mismatch": (
        "所列序列号共 {serials_quantity} 吨，与数量 {quantity} 吨不符。",
        "The named serials hold {serials_quantity} t, not the {quantity} t requested.",
    ),
    "credits_retired": ("{serials} 已注销，不能再转移。", "{serials}: retired credits never move again."),
    "credits_cancelled": ("{serials} 已作废。", "{serials}: the credits are cancelled."),
    "credits_pledged": (
        "{serials} 处于质押状态，解押前不能交易或注销。",
        "{serials}: pledged credits cannot be sold or retired until released.",
    ),
    "credits_not_held": ("{serials} 不在账户 {account} 中。", "{serials} are not held in account {account}."),
    "pledge_not_found": ("找不到质押“{pledge}”。", "Pledge '{pledge}' not found."),
    "pledge_not_active": ("质押“{pledge}”已结束（{status}）。", "Pledge '{pledge}' has ended ({status})."),
    "buffer_insufficient": (
        "缓冲池余额不足：需冲减 {requested} 吨，缓冲池仅有 {available} 吨。",
        "The buffer pool holds {available} t, fewer than the {requested} t to cancel.",
    ),
    "entry_not_correctable": (
        "第 {seq} 条流水（{kind}）不能更正：{reason}",
        "Journal entry {seq} ({kind}) cannot be corrected: {reason}",
    ),
    "entry_already_corrected": ("第 {seq} 条流水已被更正过。", "Journal entry {seq} was already corrected."),
    "parcel_under_contract": (
        "地块 {parcel} 在该期间已处于收储合同 {contract} 之下。",
        "Parcel {parcel} is already under collection contract {contract} for that term.",
    ),
    "reason_required": ("必须说明原因。", "A reason is required."),
    "beneficiary_required": ("注销必须写明受益方。", "A retirement must name a beneficiary."),
    "purpose_required": ("注销必须写明用途。", "A retirement must state its purpose."),
    # Issuance.
    "period_invalid": ("监测期无效：开始日期须早于结束日期。", "Invalid monitoring period: start must precede end."),
    "period_already_issued": (
        "地块 {parcel} 在与本监测期重叠的期间（{other_period}）已签发过。",
        "Parcel {parcel} was already issued for an overlapping period ({other_period}).",
    ),
    "verified_quantity_exceeds_estimate": (
        "核证量 {verified_kg_co2e} kg CO2e 超过测算结果 {estimate_kg_co2e} kg CO2e。",
        "Verified quantity {verified_kg_co2e} kg CO2e exceeds the estimate of {estimate_kg_co2e} kg CO2e.",
    ),
    "nothing_to_issue": (
        "核证量不足 1 吨 CO2e，无可签发的碳汇。",
        "The verified quantity is below one tonne CO2e; nothing can be issued.",
    ),
    "estimate_parcels_mismatch": (
        "测算结果所覆盖的地块与核证申请不一致。",
        "The estimate covers different parcels from the verification request.",
    ),
    "one_off_credit_already_claimed": (
        "地块 {parcel} 的一次性计入项 {claim} 已签发过，不能再次签发。",
        "The one-off credit {claim} of parcel {parcel} was already issued; it cannot be issued again.",
    ),
    "buffer_share_invalid": ("缓冲池比例须在 0 到 100% 之间。", "The buffer share must be between 0 and 100 %."),
    # Parcels and geometry.
    "geometry_invalid": (
        "地块图形无效：{reason}（位置 {location}）。",
        "Invalid parcel geometry: {reason} (at {location}).",
    ),
    "geometry_not_polygonal": ("地块必须是面（多边形）。", "A parcel must be a polygon or multipolygon."),
    "geometry_empty": ("地块图形为空。", "The parcel geometry is empty."),
    "geometry_unreadable": ("无法读取地块图形：{reason}。", "Cannot read the parcel geometry: {reason}."),
    "geometry_outside_region": (
        "地块位于{region}范围之外。",
        "The parcel lies outside the region of {region}.",
    ),
    "parcel_overlaps_existing": (
        "地块与已登记地块 {conflicts} 重叠 {overlap_m2} 平方米，可能重复计算。",
        "The parcel overlaps registered parcel(s) {conflicts} by {overlap_m2} m²: double counting.",
    ),
    "area_too_small": (
        "地块面积 {area_m2} 平方米低于最小面积 {min_area_m2} 平方米。",
        "Parcel area {area_m2} m² is below the minimum of {min_area_m2} m².",
    ),
    # Importing another registry's history (ledger/registry_import).
    "registry_file_unreadable": (
        "{source}：无法读取文件（{reason}）。",
        "{source}: the file cannot be read ({reason}).",
    ),
    "registry_columns_missing": (
        "{source}：缺少列 {columns}，不是所选登记处的导出格式。",
        "{source}: columns {columns} are missing; not this registry's export layout.",
    ),
    "registry_serial_unrecognised": (
        "{source} 第 {row_number} 行：无法识别序列号“{serial}”。",
        "{source} row {row_number}: serial number '{serial}' is not in a known format.",
    ),
    "registry_serial_out_of_range": (
        "{source} 第 {row_number} 行：序列号段 {first}..{last} 超出可登记范围（1..{max_number}）。",
        "{source} row {row_number}: serial block {first}..{last} is outside 1..{max_number}.",
    ),
    "registry_quantity_invalid": (
        "{source} 第 {row_number} 行：数量“{value}”不是正整数。",
        "{source} row {row_number}: quantity '{value}' is not a positive whole number.",
    ),
    "registry_quantity_mismatch": (
        "{source} 第 {row_number} 行：序列号段含 {range_quantity} 个，但数量列为 {quantity}。",
        "{source} row {row_number}: the serial block holds {range_quantity} credits but the "
        "quantity column says {quantity}.",
    ),
    "registry_date_invalid": (
        "{source} 第 {row_number} 行：{field} 的日期“{value}”无法识别。",
        "{source} row {row_number}: date '{value}' in {field} cannot be read.",
    ),
    "registry_field_mismatch": (
        "{source} 第 {row_number} 行：序列号中的{field}为“{serial_value}”，但该列为“{value}”。",
        "{source} row {row_number}: the serial number says {field} '{serial_value}' but the "
        "column says '{value}'.",
    ),
    "registry_field_invalid": (
        "{source} 第 {row_number} 行：{field} 的值“{value}”无效。",
        "{source} row {row_number}: invalid value '{value}' in {field}.",
    ),
    "registry_status_unknown": (
        "{source} 第 {row_number} 行：未知的状态“{value}”。",
        "{source} row {row_number}: unknown credit status '{value}'.",
    ),
    "registry_status_ambiguous": (
        "{source} 第 {row_number} 行：该登记处不区分注销与作废，且本行未写明受益方或原因，"
        "无法判断是注销还是作废。",
        "{source} row {row_number}: the registry does not tell retirement from cancellation and "
        "this row names no beneficiary or reason, so which it was cannot be known.",
    ),
    "registry_value_too_long": (
        "{source} 第 {row_number} 行：{field} 过长（{chars} 个字符，最多 {max_chars} 个）。",
        "{source} row {row_number}: {field} is too long ({chars} characters, at most {max_chars}).",
    ),
    "registry_serials_overlap": (
        "{source} 第 {row_number} 行：序列号段 {first}..{last} 与 {other_source} 第 {other_row} 行"
        "（{other_first}..{other_last}）在前缀 {prefix} 下重叠，两行均未导入。",
        "{source} row {row_number}: serial block {first}..{last} overlaps {other_source} row "
        "{other_row} ({other_first}..{other_last}) under prefix {prefix}; neither row is imported.",
    ),
    "registry_parent_row_refused": (
        "{source} 第 {row_number} 行：包含这些序列号的签发行（{other_source} 第 {other_row} 行）"
        "未能导入。",
        "{source} row {row_number}: the issuance row holding these serials ({other_source} row "
        "{other_row}) was not imported.",
    ),
    "registry_serials_already_imported": (
        "{source} 第 {row_number} 行：序列号段 {first}..{last} 已在批次 {batch_id} 中登记。",
        "{source} row {row_number}: serial block {first}..{last} is already recorded in batch "
        "{batch_id}.",
    ),
    "registry_import_has_problems": (
        "{registry} 导入中有 {count} 个问题无法核对，未导入任何记录；请修正数据，或明确允许部分导入。",
        "The {registry} import has {count} problem(s) that cannot be reconciled; nothing was "
        "imported. Fix the data, or explicitly allow a partial import.",
    ),
    "nothing_to_import": ("没有可导入的记录。", "There is nothing to import."),
    # Parcel files and parcel history (sinks/, issue 4). Row-level problems render with {row} and {field}.
    "parcel_import_has_problems": (
        "{source} 中有 {count} 个问题（涉及 {rows} 行），未登记任何地块；请修正后重新导入。",
        "{source} has {count} problem(s) in {rows} row(s); no parcel was registered. Fix them and import again.",
    ),
    "file_unreadable": ("无法读取文件：{reason}。", "The file cannot be read: {reason}."),
    "file_format_unsupported": (
        "不支持的文件格式 {file_format}；支持：{supported}。",
        "Unsupported file format {file_format}; supported: {supported}.",
    ),
    "file_has_several_layers": (
        "文件含多个图层（{layers}），请指定要导入的图层。",
        "The file has several layers ({layers}); name the one to import.",
    ),
    "shapefile_part_missing": ("Shapefile 缺少组成文件 {parts}。", "The Shapefile lacks its {parts} part(s)."),
    "file_too_large": ("文件过大（{size_mb} MB，上限 {max_mb} MB）。",
                       "The file is too large ({size_mb} MB; the limit is {max_mb} MB)."),
    "file_has_too_many_features": (
        "文件含 {features} 个要素，一次最多导入 {max_features} 个；请分批导入。",
        "The file holds {features} features; at most {max_features} can be imported at once. Split it.",
    ),
    "archive_too_large": ("压缩包解压后共 {size_mb} MB，超过上限 {max_mb} MB。",
                          "The archive unpacks to {size_mb} MB, more than the {max_mb} MB allowed."),
    "archive_ratio_too_high": (
        "压缩包中“{name}”的压缩比为 {ratio}:1，超过上限 {max_ratio}:1（疑似压缩炸弹），不予读取。",
        "'{name}' in the archive has a compression ratio of {ratio}:1, above the limit of {max_ratio}:1 "
        "(a likely zip bomb); it is not read.",
    ),
    "archive_has_too_many_members": ("压缩包含 {members} 个条目，上限 {max_members} 个。",
                                     "The archive holds {members} entries; at most {max_members} are allowed."),
    "archive_nested": ("压缩包内含另一个压缩包（{names}），不予读取；请解压后上传其中的文件。",
                       "The archive contains another archive ({names}); unpack it and upload the files inside."),
    "archive_member_name_unsafe": (
        "压缩包内的文件名不安全（{names}）：不得含绝对路径、“..”、盘符、反斜杠或符号链接。",
        "Unsafe names in the archive ({names}): no absolute paths, '..', drive letters, backslashes or "
        "symbolic links.",
    ),
    "encoding_detected": (
        "属性表按 {encoding} 编码读取（依据：{source}）。",
        "Attributes read as {encoding} (decided by: {source}).",
    ),
    "text_undecodable": (
        "第 {row} 行 {field}：文字无法按 {encoding} 解码（{sample}），拒绝导入。",
        "Row {row} {field}: the text cannot be decoded as {encoding} ({sample}); refused.",
    ),
    "text_garbled": (
        "第 {row} 行 {field}：文字为乱码（{reason}：{sample}），拒绝保存。",
        "Row {row} {field}: the text is garbled ({reason}: {sample}); it is not stored.",
    ),
    "columns_dropped": (
        "以下列未对应任何字段，未保存：{columns}。",
        "These columns map to no field and were not stored: {columns}.",
    ),
    "column_holds_personal_data": (
        "列“{column}”可能含个人信息，地块和流水中不得保存。",
        "Column '{column}' may hold personal data, which parcels and the journal must not keep.",
    ),
    "mapping_column_unknown": ("映射中的列“{column}”不在文件中。", "Mapped column '{column}' is not in the file."),
    "mapping_field_unknown": (
        "列“{column}”映射到未知字段“{target}”。",
        "Column '{column}' is mapped to an unknown field '{target}'.",
    ),
    "mapping_field_twice": (
        "字段 {target} 同时对应多列（{columns}），请在映射中指定一列。",
        "Field {target} is filled by several columns ({columns}); name one in the mapping.",
    ),
    "crs_missing": (
        "文件没有坐标参考系，请指定（如 EPSG:4549）。",
        "The file has no coordinate reference system; name one (e.g. EPSG:4549).",
    ),
    "crs_unreadable": ("无法识别坐标参考系“{crs}”。", "Cannot read the coordinate reference system '{crs}'."),
    "crs_definition_malformed": (
        ".prj 坐标系定义格式有误（{sample}），请指定坐标参考系。",
        "The .prj definition is malformed ({sample}); name the coordinate reference system.",
    ),
    "crs_named_by_user": ("按用户指定的坐标参考系 {crs} 读取。", "Coordinates read in the CRS named by the user, {crs}."),
    "crs_legacy_datum": (
        "坐标系 {crs} 为西安 80 / 北京 54 等旧基准，PROJ 只有粗略转换；请先用官方参数转换为 CGCS2000，或明确允许粗略转换。",
        "{crs} is a legacy datum (Xian 1980 / Beijing 1954) that PROJ converts only by a ballpark shift; convert it "
        "to CGCS2000 with official parameters, or explicitly allow the ballpark conversion.",
    ),
    "crs_legacy_datum_converted": (
        "旧基准 {crs} 已按用户允许做粗略转换，精度未知。",
        "Legacy datum {crs} converted by PROJ's ballpark shift, as allowed; accuracy unknown.",
    ),
    "crs_zone_mismatch": (
        "第 {row} 行：坐标与坐标系 {crs} 的带号不符，应为 {suggested_crs}。",
        "Row {row}: the coordinates do not fit the zone of {crs}; they look like {suggested_crs}.",
    ),
    "coordinates_swapped": (
        "第 {row} 行：经纬度顺序颠倒（{x}, {y}）；如确认，请选择交换坐标轴。",
        "Row {row}: latitude and longitude are swapped ({x}, {y}); confirm by asking to swap the axes.",
    ),
    "coordinates_not_degrees": (
        "第 {row} 行：坐标（{x}, {y}）是投影米制坐标而非经纬度，请指定坐标参考系（可能为 {suggested_crs}）。",
        "Row {row}: coordinates ({x}, {y}) are projected metres, not degrees; name the CRS (perhaps {suggested_crs}).",
    ),
    "coordinates_not_finite": ("第 {row} 行：坐标含非数值。", "Row {row}: the coordinates include values that are not numbers."),
    "geometry_missing": ("第 {row} 行没有图形。", "Row {row} has no geometry."),
    "geometry_has_curves": (
        "第 {row} 行含曲线几何；如接受线性化近似，请明确选择。",
        "Row {row} holds curved geometry; ask for linearisation to accept the approximation.",
    ),
    "curves_linearised": ("第 {row} 行的曲线已线性化。", "Row {row}: curves were linearised."),
    "z_values_dropped": ("已去除 {rows} 个图形的高程（Z）值。", "Z values dropped from {rows} geometries."),
    "m_values_dropped": ("已去除测量（M）值。", "Measure (M) values dropped."),
    "geometry_unrepairable": (
        "第 {row} 行图形无效（{reason}，位置 {location}），修复后不剩面。",
        "Row {row}: invalid geometry ({reason} at {location}) leaves no polygon when repaired.",
    ),
    "geometry_repaired": (
        "第 {row} 行图形已按用户确认修复（{reason}，位置 {location}）。",
        "Row {row}: geometry repaired as accepted ({reason} at {location}).",
    ),
    "part_too_small": (
        "第 {row} 行第 {part} 部分面积 {area_m2} 平方米，小于 {min_area_m2} 平方米（位置 {location}）。",
        "Row {row} part {part} is {area_m2} m², below {min_area_m2} m² (at {location}).",
    ),
    "part_is_sliver": (
        "第 {row} 行第 {part} 部分是狭长碎片（平均宽 {mean_width_m} 米，小于 {min_width_m} 米，位置 {location}）。",
        "Row {row} part {part} is a sliver (mean width {mean_width_m} m, below {min_width_m} m, at {location}).",
    ),
    "declared_area_differs": (
        "第 {row} 行：证载面积 {declared_mu} 亩与实测 {measured_mu} 亩相差 {difference_pct}%（超过 5%）。",
        "Row {row}: declared {declared_mu} mu differs from the measured {measured_mu} mu by {difference_pct} % "
        "(more than 5 %).",
    ),
    "parcel_code_duplicated": (
        "第 {row} 行：地块编号 {parcel_code} 与第 {other_row} 行重复。",
        "Row {row}: parcel code {parcel_code} repeats row {other_row}.",
    ),
    "parcels_overlap_in_file": (
        "第 {row} 行与第 {other_row} 行（{other_parcel_code}）重叠 {overlap_m2} 平方米，可能重复计算。",
        "Row {row} overlaps row {other_row} ({other_parcel_code}) by {overlap_m2} m²: double counting.",
    ),
    "holder_kind_invalid": (
        "主体 {party}（{kind}）不能持有地块，须为村集体、合作社或收储中心。",
        "Party {party} ({kind}) cannot hold parcels; a collective, cooperative or collection centre can.",
    ),
    "household_party_invalid": (
        "份额中的 {party} 不是已登记的农户主体。",
        "{party} in the shares is not a registered household party.",
    ),
    "household_shares_invalid": (
        "农户份额格式无效：{value}（如 HH-0001:60%;HH-0002:40%）。",
        "Invalid household shares: {value} (e.g. HH-0001:60%;HH-0002:40%).",
    ),
    "household_shares_do_not_sum_to_100_percent": (
        "农户份额合计 {total_percent}%，应为 100%。",
        "Household shares add up to {total_percent} %, not 100 %.",
    ),
    "attribute_invalid": ("{field} 的值“{value}”无效。", "Invalid value '{value}' for {field}."),
    "attribute_out_of_range": (
        "{field} 的值 {value} 超出范围 {minimum}–{maximum}。",
        "{field} = {value} is outside {minimum}–{maximum}.",
    ),
    "attribute_not_a_choice": ("{field} 的值“{value}”不在可选值 {choices} 中。", "{field} '{value}' is not one of {choices}."),
    "attribute_too_long": ("{field} 过长（最多 {max_chars} 个字符）。", "{field} is too long (at most {max_chars} characters)."),
    "attribute_shares_do_not_sum_to_one": ("{field} 各项比例之和应为 1。", "The shares in {field} must add up to 1."),
    "attribute_not_for_sink_type": ("{field} 不是{sink_type}地块的属性。", "{field} is not an attribute of {sink_type} parcels."),
    "parcel_not_active": ("地块 {parcel} 当前状态为 {status}，不能再更改。", "Parcel {parcel} is {status} and cannot change."),
    "parcel_unchanged": ("地块 {parcel} 没有任何变化。", "Nothing changes for parcel {parcel}."),
    "parcel_has_issued_credits": (
        "地块 {parcel} 已签发碳汇，不能删除或改动边界；可拆分，或自某日起退出后续监测期。",
        "Parcel {parcel} has issued credits: it cannot be deleted or reshaped; split it, or retire it from future periods.",
    ),
    "split_parts_outside_parcel": (
        "拆分后的地块须至少两块且位于原地块 {parcel} 内（超出 {outside_m2} 平方米）。",
        "A split needs two or more parts inside parcel {parcel} ({outside_m2} m² lie outside).",
    ),
    "split_area_not_kept": (
        "拆分前后面积不一致：原地块 {parcel_area_m2} 平方米，拆分后 {parts_area_m2} 平方米。",
        "The split does not keep the area: {parcel_area_m2} m² before, {parts_area_m2} m² in the parts.",
    ),
    # Region profiles (sinks/regions.py) and the county codes and sink types they allow.
    "region_profile_unreadable": (
        "地区配置文件 {profile} 无法读取：{reason}。",
        "The region profile {profile} cannot be read: {reason}.",
    ),
    "region_profile_invalid": (
        "地区配置文件 {profile} 无效：{where} {reason}。",
        "The region profile {profile} is invalid: {where} {reason}.",
    ),
    "demo_region_mismatch": (
        "演示数据位于地区“{demo_region}”，当前地区配置为“{region}”：请设置 SINKLEDGER_REGION={demo_region} 后再载入演示数据。",
        "The demo data lies in region '{demo_region}' but the region profile is '{region}': set "
        "SINKLEDGER_REGION={demo_region} to load the demo.",
    ),
    "county_code_unknown": (
        "县级区划代码 {value} 不属于{region}（可用：{allowed}）。",
        "County code {value} is not a county of {region} (in use: {allowed}).",
    ),
    "county_code_retired": (
        "县级区划代码 {value}（{name}）自 {valid_to} 起已停用（接替代码：{successor}）。",
        "County code {value} ({name}) is no longer in use since {valid_to} (successor: {successor}).",
    ),
    "sink_type_not_in_region": (
        "{region}的地区配置未启用碳汇类型“{sink_type}”（启用的类型：{allowed}）。",
        "Sink type '{sink_type}' is not in use in {region}'s region profile (in use: {allowed}).",
    ),
    "merge_parcels_differ": ("待合并地块的 {field} 不同，不能合并。", "The parcels to merge differ in {field}."),
    "merge_area_not_kept": (
        "合并前后面积不一致：各地块合计 {parcels_area_m2} 平方米，合并后 {merged_area_m2} 平方米（地块有重叠）。",
        "The merge does not keep the area: {parcels_area_m2} m² in the parcels, {merged_area_m2} m² merged (they overlap).",
    ),
    # Court compensation (ledger/court).
    "case_not_found": ("找不到案件“{case_no}”。", "Case '{case_no}' not found."),
    "case_no_taken": ("案号“{case_no}”已登记。", "Case number '{case_no}' is already registered."),
    "order_not_found": ("找不到判令“{order}”。", "Court order '{order}' not found."),
    "order_withdrawn": (
        "判令“{order}”已撤回，不能再履行或变更。",
        "Court order '{order}' was withdrawn; it can no longer be fulfilled or amended.",
    ),
    "order_already_fulfilled": ("判令“{order}”已履行完毕。", "Court order '{order}' is already fulfilled."),
    "quantity_exceeds_order_remaining": (
        "本次认购 {requested} 吨超过判令“{order}”尚可认购的 {remaining} 吨，不得超额履行。",
        "{requested} t exceeds the {remaining} t still to buy under court order '{order}'; "
        "over-fulfilment is refused.",
    ),
    "order_amount_below_fulfilled": (
        "变更后的判令数额（{value}）低于已履行的部分（{fulfilled}）。",
        "The amended order ({value}) is below what was already fulfilled ({fulfilled}).",
    ),
    "amendment_changes_nothing": ("变更未改变判令的任何内容。", "The amendment changes nothing in the order."),
    "price_must_be_positive": (
        "金额判令的认购单价必须大于零。",
        "A purchase under a money order needs a unit price above zero.",
    ),
    "credits_do_not_match_order": (
        "{serials} 不符合判令要求（{requirement}）。",
        "{serials} do not meet the order's requirement ({requirement}).",
    ),
    "insufficient_matching_balance": (
        "卖方符合判令要求（{requirement}）的可用碳汇不足：需要 {requested} 吨，可用 {available} 吨。",
        "The seller holds {available} t that meet the order's requirement ({requirement}), "
        "fewer than the {requested} t needed.",
    ),
    "credits_retired_for_case": (
        "{serials} 已为案件 {case_no} 注销，不能再次用于司法补偿。",
        "{serials} were already retired for case {case_no} and cannot be used again.",
    ),
    "order_has_no_fulfilment": (
        "判令“{order}”尚无履行记录，不能出具碳汇补偿证明。",
        "Court order '{order}' has no fulfilment yet; no certificate can be issued.",
    ),
    "certificate_not_found": (
        "核验码“{code}”不对应任何碳汇补偿证明：证明可能是伪造的。",
        "No carbon-sink compensation certificate has verification code '{code}': "
        "the certificate may be forged.",
    ),
    "certificate_unreadable": (
        "无法从文件中读取碳汇补偿证明：{reason}。",
        "Cannot read a carbon-sink compensation certificate from the file: {reason}.",
    ),
    "reference_rate_unavailable": (
        "碳汇类型“{sink_type}”没有参考年净固碳速率，请提供测算结果。",
        "Sink type '{sink_type}' has no reference annual net removal rate; give an estimate.",
    ),
    "estimate_sink_type_mismatch": (
        "测算结果的碳汇类型为“{estimate_sink_type}”，与受损生态系统的“{sink_type}”不符。",
        "The estimate is for sink type '{estimate_sink_type}', not the damaged '{sink_type}'.",
    ),
    "override_reason_required": (
        "法院改定数量为 {quantity_t} 吨（测算建议 {proposed_t} 吨），须说明理由。",
        "The court sets {quantity_t} t against a proposal of {proposed_t} t: give a reason.",
    ),
    # Database and integrity.
    "database_not_initialised": (
        "数据库尚未初始化，请先运行 sinkledger demo 或 sinkledger init。",
        "The database is not initialised; run 'sinkledger demo' or 'sinkledger init' first.",
    ),
    "backup_unreadable": ("无法读取备份文件：{reason}。", "Cannot read the backup file: {reason}."),
    "database_not_empty": ("数据库已有数据；请恢复到一个空数据库。", "The database already holds data; restore into an empty database."),
    "journal_is_append_only": ("流水只能追加，不能修改或删除。", "The journal is append-only; it cannot be changed or deleted."),
    "ledger_integrity_failed": (
        "账本完整性校验失败：第 {seq} 条流水 {problem}。",
        "Ledger integrity check failed: journal entry {seq} {problem}.",
    ),
    "methodology_input_invalid": (
        "测算输入有误：{problems_zh}",
        "Invalid methodology inputs: {problems}",
    ),
}


# Households' personal data (ledger/people): one dict, kept beside the code that raises it.
from ledger.people.messages import PEOPLE_REFUSALS  # noqa: E402 - a plain dict, imports nothing

REFUSALS.update(PEOPLE_REFUSALS)

from ledger.income.messages import INCOME_REFUSALS  # noqa: E402 - a plain dict, imports nothing

REFUSALS.update(INCOME_REFUSALS)

from sinkledger.config import SETTINGS_REFUSALS  # noqa: E402 - a plain dict; config imports nothing at load

REFUSALS.update(SETTINGS_REFUSALS)


class _Lenient(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def _format(template: str, params: Mapping[str, Any]) -> str:
    return string.Formatter().vformat(template, (), _Lenient(params))


def refusal_text(code: str, params: Mapping[str, Any]) -> tuple[str, str]:
    """Return the Chinese and English message for a refusal code."""
    zh, en = REFUSALS.get(code, ("操作被拒绝（{code}）。", "Refused ({code})."))
    merged = {"code": code, **params}
    return _format(zh, merged), _format(en, merged)


UI: dict[str, tuple[str, str]] = {
    "app_title": ("湖州碳汇登记与交易账本", "Huzhou carbon-sink registry and ledger"),
    "app_subtitle": (
        "竹林、湿地、茶园碳汇：地块登记、方法学测算、核证签发、交易、注销与司法补偿。",
        "Bamboo forest, wetland and tea-garden sinks: parcels, estimates, issuance, sales, "
        "retirements and court compensation.",
    ),
    "language": ("语言 / Language", "Language / 语言"),
    "page_overview": ("总览", "Overview"),
    "synthetic_notice": (
        "演示数据：地块、主体与测量值均为合成数据，不代表真实权属或碳汇量。",
        "Demo data: parcels, parties and measurements are synthetic, not real holdings or sinks.",
    ),
    "seeding": ("首次启动：正在创建数据库并载入演示数据……", "First start: creating the database and loading the demo data…"),
    "map_header": ("地块分布", "Parcels"),
    "map_caption": (
        "{n} 个已登记地块，按碳汇类型着色；县界为示意（离线可用）。",
        "{n} registered parcels coloured by sink type; county outlines are schematic (the map works offline).",
    ),
    "balances_header": ("各碳汇类型碳汇量（吨 CO2e）", "Credits by sink type (tCO2e)"),
    "col_sink_type": ("碳汇类型", "Sink type"),
    "col_parcels": ("地块数", "Parcels"),
    "col_area_ha": ("面积（公顷）", "Area (ha)"),
    "col_issued": ("已签发", "Issued"),
    "col_held": ("持有", "Held"),
    "col_pledged": ("质押", "Pledged"),
    "col_retired": ("已注销", "Retired"),
    "buffer_caption": ("持有量中含缓冲池 {n} 吨。", "Held includes {n} t in the buffer pool."),
    "integrity_header": ("账本完整性", "Ledger integrity"),
    "integrity_ok": (
        "哈希链已校验至第 {n} 条流水，无篡改。",
        "Hash chain verified up to entry {n}; no tampering found.",
    ),
    "integrity_broken": ("账本校验失败：第 {seq} 条流水。", "Ledger check failed at entry {seq}."),
    "merkle_root": ("最新默克尔根", "Latest Merkle root"),
}


def ui_text(key: str, lang: str, **params: Any) -> str:
    zh, en = UI[key]
    return _format(zh if lang == "zh" else en, params)


# The web app's strings (plain dicts beside the app, importing nothing) and sinkledger/services/admin.py's
# refusals. A key defined twice is a start-up error, never a silent override.
from sinkledger.catalogue.ui import REFUSALS_EXTRA, UI_EXTRA  # noqa: E402
from sinkledger.catalogue.ui_income import UI_INCOME  # noqa: E402
from sinkledger.catalogue.ui_work import UI_WORK  # noqa: E402

REFUSALS.update(REFUSALS_EXTRA)
for _extra in (UI_EXTRA, UI_INCOME, UI_WORK):
    if set(_extra) & set(UI):
        raise RuntimeError(f"UI keys defined twice: {sorted(set(_extra) & set(UI))}")
    UI.update(_extra)
