# diag：繁體中文（台灣）。情境檔哪裡有問題、該怎麼改：`pagewalk check` 印成
# FILE:LINE:COLUMN: 訊息的那些問題，以及網頁版編輯器在對應行:欄顯示的錯誤。
# 檔案裡的鍵、值、數字與檔名都是變數，照原樣顯示。每則訊息都對應 ../en/diag.ftl 的同名訊息。

## 問題的外框

diag-with-hint = {$message}（提示：{$hint}）
diag-hint = 提示：{$hint}

## 表格的稱呼

diag-what-file = 檔案
diag-what-table = [{$table}] 表格
diag-what-entry = 第 {$n} 個 [[{$table}]] 項目

## 值的型別不對

diag-type-string = 字串
diag-type-integer = 整數
diag-type-float = 浮點數
diag-type-boolean = 布林值
diag-type-date = 日期
diag-type-array = 陣列
diag-type-table = 表格
diag-want-bool = true 或 false
diag-want-address = 位址字串（例如 "0x7fff_0000_1000"）
diag-want-size = 大小（例如 "2M"）
diag-want-tables = 表格陣列（[[...]]）
diag-wrong-type = {$what}中的 `{$key}` 必須是{$want}，而不是{$got}
diag-missing = {$what}缺少 `{$key}`
diag-int-range = `{$key}` 必須介於 {$min} 到 {$max} 之間
diag-key-problem = `{$key}`：{$problem}
diag-cannot-be = `{$key}` 不能是 "{$value}"
diag-did-you-mean-value = 你可能是指 "{$value}"？
diag-did-you-mean-key = 你可能是指 `{$key}`？
diag-choose-one = 請從以下選一個：{$options}
diag-entry-not-table = 每個 `{$key}` 項目都必須是表格
diag-hint-entries = 每個項目請寫成一個 [[{$key}]] 區段
diag-known-keys = 這裡可用的鍵：{$keys}
diag-unknown-key = {$what}中有未知的鍵 `{$key}`
diag-zero = `{$key}` 不能是 0

## 數字、大小與旗標

diag-address-negative = 位址不能是負數
diag-size-negative = 大小不能是負數
diag-hint-address = 位址請寫成字串，例如 "0x7fff_0000_1000"
diag-hint-size = 大小的寫法如 "4K"、"2M"、"28MiB"，或直接寫位元組數
diag-not-a-number = `{$text}` 不是數字
diag-too-big-64 = `{$text}` 超出 64 位元的範圍
diag-unknown-unit = `{$text}` 中的大小單位 `{$unit}` 無法辨識
diag-not-a-size = `{$text}` 不是有效的大小
diag-size-too-large = `{$text}` 太大了
diag-unknown-flag-did-you-mean = 未知的旗標 `{$flag}`；你可能是指 `{$name}`？
diag-unknown-flag = 未知的旗標 `{$flag}`；可用的旗標有 {$flags}
diag-hint-npt-flags = NPT 項目使用 IA-32e 的旗標名稱：PRESENT | WRITABLE | USER | ACCESSED | DIRTY
diag-hint-ept-flags = EPT 項目使用 READ | WRITE | EXECUTE | MEMTYPE0..2 | IGNORE_PAT | ACCESSED | DIRTY

## 整個檔案

diag-file-too-big = 檔案有 {$size} 位元組；情境檔最多只能有 {$max} 位元組
diag-hint-patterns = 長的追蹤請改用存取模式描述（sequential、strided、random、working_set）
diag-file-over-limit = 檔案超過 {$limit} 位元組的上限
diag-hint-file-over-limit = 情境檔描述的是一台機器和一段追蹤；用存取模式（`strided`、`random`、`working_set`）可以讓長的追蹤保持簡短
diag-directory = 這是目錄，不是情境檔
diag-hint-directory = 請指定一個 .toml 檔案
diag-cannot-read = 無法讀取檔案：{$error}
diag-hint-cannot-read = 請檢查路徑
diag-not-utf8 = 檔案不是 UTF-8 文字（位移 {$offset} 處有無效的位元組）
diag-hint-not-utf8 = 情境檔是 TOML 文字檔
diag-hint-toml = 這不是有效的 TOML
diag-schema-unsupported = 不支援 schema {$version}
diag-hint-schema = 這版 pagewalk 讀取的是 schema = {$schema}
diag-hint-schema-missing = 請在檔案開頭寫上 `schema = 1`
diag-hint-name = 請加上 `name = "..."`：顯示在情境列表中的標題
diag-hint-lesson = 請加上 `lesson = "..."`：這個情境要教的那一個觀念

## 機器

diag-tlb-geometry = `{$key}` 必須寫成 "SETSxWAYS"（例如 "16x4"），組數為 1..4096、路數為 1..32
diag-hint-tlb-geometry = "0x0" 表示拿掉這個陣列；0 組或 0 路的陣列什麼都存不了
diag-guest-ram = `guest_ram` 必須介於 64 MiB 到 64 GiB 之間，並以 2 MiB 為單位
diag-hint-guest-ram = 例如 guest_ram = "4G"
diag-machine-error = {$error}
diag-hint-max-frames = 請調高 `machine.max_frames`，或減少對應
diag-hint-overlap = 有兩個對應涵蓋同一個位址；請移動或縮小其中一個
diag-hint-pool-full = 客體分頁表區域（GPA 1-16 MiB）已滿：請減少對應
diag-hint-no-entry = 請先對應這個位址，讓該項目上層的分頁表存在
diag-hint-check-addresses = 請檢查這個項目的位址
diag-too-much-work = 這次執行約需 {$work} 單位的工作量（在這裡每單位約一奈秒），超過 `machine.max_work` = {$limit}
diag-hint-too-much-work = 每次存取最多花 {$per_access}（走訪與分頁結構快取查詢），每次清除花 {$slots}（TLB 的槽數）：請縮短追蹤、縮小 TLB 或快取，或調高 `machine.max_work`（最多 {$max}）
diag-work-budget-used = 執行了 {$done} 次存取後，已用完工作量預算（`machine.max_work` = {$limit}）
diag-hint-work-budget-used = 大型 TLB 每次清除都要花上它的大小：請縮小 TLB 或縮短追蹤，或調高 `machine.max_work`
diag-hint-cannot-run = 這個追蹤項目無法在這台機器上執行

## 主機

diag-needs-nested = [[{$table}]] 需要 `ept` 或 `npt` 機器
diag-hint-needs-nested = 只有 EPT 和 NPT 才有第二階段分頁表
diag-hint-host-map-gpa = 要對應的第一個客體實體位址
diag-hint-mergeable-gpa = 標記為 MADV_MERGEABLE 的第一個客體實體位址
diag-hint-bytes = 多少位元組，例如 "256K"
diag-native-no-host-side = 原生機器沒有虛擬機器，也沒有主機端
diag-native-no-host = 原生機器底下沒有主機
diag-native-no-exits = 原生機器沒有 VM exit
diag-hint-use-virtual = 請使用 mode = "ept"、"npt" 或 "shadow"

## 映射與編輯

diag-unaligned = `{$key}` {$addr} 沒有對齊到它的 {$page} 分頁
diag-size-not-pages = `size` {$size} 不是 {$page} 分頁的整數倍
diag-hint-multiple = 請使用 {$size} 的倍數
diag-range-overflows = `{$key}` + `size` 超出 64 位元
diag-hint-map-gva = 要對應的第一個線性位址
diag-hint-map-gpa = 它對應到的第一個客體實體位址
diag-not-canonical = {$from}..{$to} 在 {$levels} 層分頁下不是標準形式（canonical）位址
diag-hint-canonical = 高位元必須複製第 47 位元（4 層）或第 56 位元（5 層）
diag-beyond-ram = 客體實體位址 {$from}..{$to} 超出了客體 RAM（{$ram} 位元組）
diag-hint-beyond-ram = 請改用較小的 gpa，或調高 `machine.guest_ram`
diag-space-twice = 有兩個位址空間都叫 "{$name}"
diag-hint-space-twice = 請為每個 [[space]] 取不同的名稱
diag-too-many-pages = 這些對應共 {$pages} 個分頁；上限是 {$limit}
diag-hint-map-less = 請減少對應，或改用較大的分頁
diag-hint-edit-addr = 其走訪路徑上有要編輯之項目的位址
diag-hint-level = 1 = PTE，2 = PDE，3 = PDPTE，4 = PML4E，5 = PML5E
diag-edit-needs-value = 編輯需要 `raw`、`addr`（搭配 `flags`），或 `set`/`clear`
diag-hint-edit-value = 例如 set = "NO_EXECUTE" 或 clear = "PRESENT"

## 追蹤

diag-too-many-actions = 追蹤共有 {$total} 次存取；上限是 {$limit}
diag-hint-max-actions = 請縮短追蹤，或調高 `machine.max_actions`（最多 {$max}）
diag-hint-one-of = 以下其中之一：{$options}
diag-unknown-op = 未知的操作 "{$op}"
diag-hint-ops = 可用的操作：{$ops}
diag-hint-space-name = 要載入的 [[space]] 名稱
diag-no-space = 沒有名為 "{$name}" 的位址空間
diag-hint-spaces = 位址空間：{$spaces}
diag-hint-spaces-more = 位址空間：{$spaces}，以及其他 {$more} 個
diag-hint-access-gva = 要存取的線性位址
diag-hint-start = 第一個位址
diag-hint-length = 要涵蓋多少位元組，例如 "28MiB"
diag-hint-stride = 每次存取之間的距離，例如 "4K"
diag-hint-count-pass = 每一輪存取幾次
diag-hint-region-start = 區域的第一個位址
diag-hint-region-span = 區域的大小，例如 "28MiB"
diag-hint-count = 存取幾次
diag-hint-set-pages = 工作集裡有幾個位址
diag-hint-invlpg = 要使其失效的位址
diag-hint-invpcid-type = 0 單一位址，1 單一 PCID，2 全部（含全域項目），3 全部（全域項目除外）
diag-hint-invvpid-type = 0 單一位址，1 單一 VPID，2 所有 VPID，3 單一 VPID（全域項目除外）
diag-invept-needs-ept = INVEPT 需要 `ept` 機器
diag-hint-invept-type = 1 單一情境（single-context），2 全域（global）
diag-hint-pte-write-gva = 其走訪路徑上有該項目的位址
diag-pte-write-needs-value = pte_write 需要 `raw`、`addr`（搭配 `flags`），或 `set`/`clear`
diag-hint-pte-write-value = 例如 addr = "0x4000_5000" 搭配 flags = "PRESENT | WRITABLE | USER"
diag-hint-fill-gva = 要填入的第一個分頁
diag-hint-fill-pattern = 寫入每個字組的數字，或 "distinct"
diag-fill-unaligned = fill 的 `gva` 必須對齊 4 KiB
diag-hint-fill-unaligned = fill 一次寫入整個分頁
diag-hint-swap-gpa = 要換出的第一個客體實體位址
diag-hint-balloon-gpa = 記憶體氣球拿走的第一個客體實體分頁
diag-hint-pages = 幾個 4 KiB 分頁

## 預期結果

diag-no-counter = 沒有名為 "{$counter}" 的計數器
diag-hint-counters = 計數器：{$counters}
diag-hint-counter = 要檢查的計數器，例如 "memory_refs"
diag-min-above-max = `min` {$min} 大於 `max` {$max}
diag-equals-and-range = `equals` 與 `min`/`max` 只能擇一使用
diag-hint-equals-and-range = equals = 24，或 min = 20 且 max = 30
diag-expect-needs-value = 預期結果需要 `equals`，或 `min` 與（或）`max`
diag-hint-expect-value = 例如 equals = 24

## TOML 語法：解析器（toml_parser）的用語

diag-toml = {$problem}
diag-toml-expected = {$problem}，應為：{$expected}
diag-toml-duplicate-key = 重複的鍵
diag-toml-invalid-basic-string = 無效的基本字串
diag-toml-invalid-binary-number = 無效的二進位數字
diag-toml-invalid-boolean = 無效的布林值
diag-toml-invalid-comment-character = 註解中有無效的字元
diag-toml-invalid-date-time = 無效的日期時間
diag-toml-invalid-exponent = 無效的指數
diag-toml-invalid-float = 無效的浮點數
diag-toml-invalid-fraction = 無效的小數部分
diag-toml-invalid-hexadecimal-number = 無效的十六進位數字
diag-toml-invalid-inline-table-element = 無效的行內表格元素
diag-toml-invalid-integer-number = 無效的整數
diag-toml-invalid-key = 無效的鍵
diag-toml-invalid-key-value-pair = 無效的鍵值對
diag-toml-invalid-literal-string = 無效的字面字串
diag-toml-invalid-mantissa = 無效的尾數
diag-toml-invalid-multi-line-basic-string = 無效的多行基本字串
diag-toml-invalid-multi-line-literal-string = 無效的多行字面字串
diag-toml-invalid-octal-number = 無效的八進位數字
diag-toml-invalid-string = 無效的字串
diag-toml-invalid-table = 無效的表格
diag-toml-invalid-unquoted-key = 無效的未加引號鍵
diag-toml-invalid-value = 無效的值
diag-toml-missing-array-opening = 缺少陣列的開頭
diag-toml-missing-assignment = 鍵值對之間缺少等號
diag-toml-missing-comma-array = 陣列元素之間缺少逗號
diag-toml-missing-comma-pairs = 鍵值對之間缺少逗號
diag-toml-missing-comment-start = 缺少註解的開頭
diag-toml-missing-escaped-value = 缺少跳脫後的值
diag-toml-missing-inline-table-opening = 缺少行內表格的開頭
diag-toml-missing-inline-key = 行內表格元素缺少鍵
diag-toml-missing-opening-quote = 缺少開頭的引號
diag-toml-missing-table-open = 缺少表格的開頭
diag-toml-missing-value-for-key = 鍵缺少值
diag-toml-missing-value = 缺少值
diag-toml-unclosed-array-table = 表格陣列的標頭沒有結束
diag-toml-unclosed-array = 陣列沒有結束
diag-toml-unclosed-inline-table = 行內表格沒有結束
diag-toml-unclosed-table = 表格標頭沒有結束
diag-toml-unexpected-equals-in-array = 陣列中出現不該有的 `=`
diag-toml-unexpected-content-after-comment = 註解與換行之間有多餘的內容
diag-toml-unexpected-content = 多餘的內容
diag-toml-unexpected-key-or-value = 出現不該有的鍵或值
diag-toml-unexpected-leading-zero = 數字開頭不能有多餘的 0
diag-toml-unexpected-sign = 不該出現正負號
diag-toml-key-with-no-value = 鍵沒有值
diag-toml-extra-equals = 多了一個 `=`
diag-toml-extra-comma-array = 陣列中多了逗號
diag-toml-extra-comma-inline-table = 行內表格中多了逗號
diag-toml-extra-assignment = 鍵值對之間多了等號
diag-toml-string-values-quoted = 字串值必須加上引號
diag-toml-underscore = `_` 只能放在數字之間
diag-toml-radix-signed = 有進位前綴的整數不能帶正負號
diag-toml-radix-lowercase = 進位前綴必須是小寫
diag-toml-carriage-return = 歸位字元（CR）後面必須接換行
diag-toml-empty-unquoted-key = 未加引號的鍵不能是空的
diag-toml-redundant-sign = 多餘的正負號
diag-toml-redundant-prefix = 多餘的整數前綴
diag-toml-too-few-unicode-digits = Unicode 值的位數不足
diag-toml-recursion = 巢狀層數太深，無法再解析下去
diag-toml-key = 鍵
diag-toml-value = 值
diag-toml-newline = 換行
diag-toml-nothing = 結尾
diag-toml-literal-string = 字面字串
diag-toml-basic-string = 基本字串
diag-toml-multi-line-basic-string = 多行基本字串
diag-toml-letters = 字母
diag-toml-numbers = 數字
diag-toml-digits = 數字
diag-toml-characters = 字元
diag-toml-printable-characters = 可列印字元
diag-toml-unicode-hex-value = Unicode 十六進位值
diag-toml-non-double-quote-visible = 雙引號以外的可見字元
diag-toml-non-single-quote-visible = 單引號以外的可見字元
diag-toml-non-single-quote = 單引號以外的字元
