# core：繁體中文（台灣）。核心的文字：旁白、事件列、錯誤、VM exit、計數器的意義。
# 每則訊息都對應 ../en/core.ftl 的同名訊息（有測試檢查）。位址、暫存器、指令與旗標名稱、
# 計數器名稱和數字是變數，或照原樣保留。

## 表與位址欄位的名稱（Intel SDM 第 3 卷，"Hierarchical Paging Structures: an Overview"）
table-guest = { $level }
table-ept = EPT { $level }
table-npt = NPT { $level }
table-shadow = 影子 { $level }
field-sign = 符號延伸
field-index = { $table } 索引
field-offset = 分頁內位移
grid-row-entry = { $table } 項目
grid-row-data = 資料分頁
entry-memory-type = 記憶體類型 { $name }（{ $value }）
entry-empty = 空
ad-a = A
ad-d = D
ad-both = A 與 D

## 存取
access-user-read = 使用者模式讀取
access-user-write = 使用者模式寫入
access-user-fetch = 使用者模式取指令
access-supervisor-read = 核心模式讀取
access-supervisor-write = 核心模式寫入
access-supervisor-fetch = 核心模式取指令

## 錯誤（Intel SDM 第 3 卷 "Exception and Interrupt Reference"、"EPT Violations"；AMD APM 第 2 卷 "Nested Paging"）
fault-pf = { $gva } 發生 #PF，錯誤碼 { $code }（{ $bits }），出自 { $table } 項目
fault-ept-violation-final = GPA { $gpa } 發生 EPT violation（最後一段轉譯，exit qualification { $qual }），出自 EPT { $level } 項目
fault-ept-violation-table = GPA { $gpa } 發生 EPT violation（存取客體分頁表時，exit qualification { $qual }），出自 EPT { $level } 項目
fault-ept-misconfig = 轉譯 GPA { $gpa } 時在 EPT { $level } 項目遇到 EPT misconfiguration（設定錯誤）
fault-npf-final = GPA { $gpa } 發生巢狀分頁錯誤（nested page fault，EXITINFO1 { $info }：{ $bits }，最後一段轉譯），出自巢狀 { $level } 項目
fault-npf-table = GPA { $gpa } 發生巢狀分頁錯誤（nested page fault，EXITINFO1 { $info }：{ $bits }，存取客體分頁表時），出自巢狀 { $level } 項目
fault-non-canonical = #GP：{ $gva } 不是標準形式（canonical）位址
fault-cr3-reserved = #GP(0)：MOV to CR3 載入 { $cr3 } 時設了第 63 位元，而 CR4.PCIDE = 0 時這個位元是保留位元

## VM exit（Intel SDM 第 3 卷 "VM Exits"；KVM 的 exit 處理函式）
exit-external = I/O 指令或中斷
exit-stage2 = 第二階段（stage-2）錯誤（EPT violation / NPF）
exit-misconfig = EPT misconfiguration（設定錯誤）
exit-page-fault = 分頁錯誤（影子頁表）
exit-cr3 = MOV to CR3（影子頁表）
exit-invlpg = INVLPG（影子頁表）
exit-host-cr3 = 主機載入新的 CR3（KVM_SET_SREGS）
exit-kernel-entry = 客體進入自己的核心（PVM 模擬 CPL 0）
exit-kernel-return = 客體核心返回使用者模式（PVM）
exit-root-load = PVM 載入一個沒有快取的影子根表

## hypervisor 如何處理一次錯誤
outcome-fixed = 已修好，補上了缺少的項目
outcome-spurious = 虛驚（spurious），項目本來就是對的
outcome-emulated = 已模擬，hypervisor 自己代為完成這次寫入
outcome-injected = 注入客體，客體自己的分頁表就說這是錯誤
outcome-retry = 重試，主機分頁變了，什麼都沒有對應

## 快取的對應（Intel SDM 第 3 卷 "Caching Translation Information"、"Information That May Be Cached"）
mapping-linear = 線性對應（linear mapping）
mapping-guest-physical = 客體實體對應（guest-physical mapping）
mapping-combined = 組合對應（combined mapping）：那張表不必走訪第二階段

## 主機的分頁（Linux mm/）
host-page-unallocated = 尚未配置
host-page-zero = 共用的零分頁
host-page-read-only = 自己的分頁，寫入之前唯讀
host-page-allocated = 自己的分頁
host-page-swapped = 已 swap 出去
host-page-ballooned = 已由記憶體氣球歸還
host-page-shared = 由 KSM 共用（唯讀，寫入時複製）
host-change-swap-out = 被 swap 出去
host-change-discard = 由記憶體氣球歸還
host-change-ksm-merge = 被 KSM 合併
host-change-cow = 寫入時被複製
host-change-split = 從一個 2 MiB 分頁拆成 4 KiB 分頁
refused-hugetlb-page-out = hugetlbfs 的記憶體無法換出：madvise(MADV_PAGEOUT) 回傳 EINVAL 失敗，KVM 的對應也都還在

## TLB 清除
flush-invlpg = INVLPG { $gva }
flush-invpcid = INVPCID 類型 { $kind }
flush-mov-cr3 = MOV to CR3
flush-invvpid = INVVPID 類型 { $kind }
flush-invept = INVEPT 類型 { $kind }
flush-vm-exit = 沒有 VPID 的 VM exit
flush-vm-entry = 沒有 VPID 的 VM entry
flush-page-fault = 這個位址上的分頁錯誤
flush-stage2 = 這個位址上的 EPT violation
flush-hypervisor = hypervisor 改了影子頁表

## 事件列（事件階梯、`pagewalk walk`）
event-access = { $gva } 的{ $access }
event-tlb-hit = { $level } TLB 命中（{ $size } 分頁）-> HPA { $hpa }
event-tlb-miss = { $level } TLB 未命中
event-tlb-dirty-rewalk = TLB 項目的 D=0，而這次是寫入：重新走訪以設定 dirty 旗標
event-pwc-hit = 分頁結構快取命中（{ $mapping }），給 { $table } 項目 -> 下一張表在 HPA { $next }
walk-guest = 分頁表走訪
walk-ept = EPT 走訪
walk-npt = NPT 走訪
walk-shadow = 影子頁表走訪
root-guest = CR3 = GPA { $addr }
root-host = 位於 HPA { $addr } 的影子根表
root-physical = CR3 = 實體位址 { $addr }
event-walk = GVA { $gva } 的{ $what }，起點：{ $root }
event-nested-table = 經由第二階段轉譯客體 { $table } 表所在的 GPA { $gpa }
event-nested-final = 經由第二階段轉譯最後的 GPA { $gpa }
event-read = 讀取 { $table }[{ $index }]，位於 HPA { $addr } = { $entry }（{ $bits }）
event-nested-end = GPA { $gpa } -> HPA { $hpa }
event-ad = 在 HPA { $addr } 的 { $table } 項目設定 { $bits }（{ $old } -> { $new }）
event-tlb-fill = 填入 TLB：{ $gva } -> { $hpa }（{ $size }）
event-tlb-fill-global = 填入 TLB：{ $gva } -> { $hpa }（{ $size }，全域）
event-flush = { $why }：作廢 { $removed } 個 TLB 項目
event-vm-exit = VM exit：{ $reason }
event-vm-entry = VM entry
event-vm-entry-flush = VM entry；清除 { $count } 個客體 TLB 項目（沒有 VPID）
event-cr3 = MOV CR3 <- { $cr3 }（PCID { $pcid }）
event-cr3-noflush = MOV CR3 <- { $cr3 }（PCID { $pcid }，不清除）
event-shadow-fault = 影子頁表沒有 { $gva } 可用的項目：#PF 退出到 hypervisor
event-hv-read = hypervisor 讀取客體 { $table } 項目，位於 GPA { $gpa } = { $entry }（{ $bits }）
event-hv-ad = hypervisor 在 GPA { $gpa } 的客體 { $table } 項目設定 A/D -> { $new }
event-shadow-page-direct = 新的影子 { $table } 分頁，位於 HPA { $hpa }，直接對應 GFN { $gfn }
event-shadow-page-table = 新的影子 { $table } 分頁，位於 HPA { $hpa }，對應客體分頁表 GFN { $gfn }
event-shadow-drop = 丟棄 HPA { $addr } 的影子 { $table } 項目
event-shadow-write = 寫入 HPA { $addr } 的影子 { $table } 項目 = { $entry }（{ $bits }）
event-shadow-prefetch = 預先填入 HPA { $addr } 的影子 { $table } 項目 = { $entry }（{ $bits }）
event-write-protect = 將客體分頁表所在的分頁 GFN { $gfn } 設為防寫
event-os-pte-write = 作業系統寫入實體位址 { $gpa } 的分頁表項目：{ $old } -> { $new }
event-guest-pte-write = 客體寫入 GPA { $gpa } 的分頁表項目：{ $old } -> { $new }
event-guest-pte-write-emulated = 客體寫入 GPA { $gpa } 的分頁表項目：{ $old } -> { $new }（被 hypervisor 攔下並模擬）
event-shadow-zap = 丟棄 GFN { $gfn } 的影子 { $table } 分頁
event-shadow-zap-flooded = 丟棄 GFN { $gfn } 的影子 { $table } 分頁（寫入過於頻繁，write flooding）
event-unsync = 讓客體分頁表 GFN { $gfn } 保持可寫：它的影子分頁變成未同步（unsync）
event-resync = 重新同步 GFN { $gfn } 的影子分頁：{ $changed } 個項目有變
event-fault-handled = hypervisor 處理完這次錯誤：{ $outcome }
event-host-page = GFN { $gfn } 背後的主機分頁（{ $size }）：{ $from } -> { $to }
event-host-split = 主機把 GFN { $gfn } 背後的 2 MiB 分頁拆成 512 個 4 KiB 分頁（{ $state }）
event-host-unmap = 主機：從 GFN { $gfn } 起的 { $frames } 個分頁{ $cause }；MMU notifier 讓 KVM 丟掉對應它們的 { $zapped } 個項目
event-ksm-scan = KSM 完成一輪完整掃描：pages_shared { $shared }、pages_sharing { $sharing }、pages_unshared { $unshared }、pages_volatile { $volatile }
event-balloon = 記憶體氣球現在占用 { $pages } 個客體分頁
event-host-refused = 主機：{ $why }
event-emulated-write = hypervisor 模擬了客體對 GPA { $gpa } 的寫入；它的寫入追蹤會檢查這次寫入
event-emulated-stack = hypervisor 模擬了客體核心對堆疊的寫入；它的寫入追蹤會檢查這次寫入
event-hv-invlpg = hypervisor 處理 INVLPG { $gva }
event-hv-invlpg-synced = hypervisor 處理 INVLPG { $gva }：把未同步的影子項目同步回來
event-stage2-fill = hypervisor 在第二階段把 GPA { $gpa } 對應到 HPA { $hpa }（{ $size }）
event-stage2-fill-ro = hypervisor 在第二階段把 GPA { $gpa } 對應到 HPA { $hpa }（{ $size }，唯讀）
event-stage2-zap = hypervisor 丟掉 GPA { $gpa } 的第二階段對應（{ $size }）
event-access-done = 存取完成，落在 HPA { $hpa }
event-access-faulted = 存取發生錯誤

## 旁白：每個動作一段話，由它的事件組成
narr-pwc-linear = { $table } 項目用了快取的項目
narr-pwc-guest-physical = { $table } 項目用了快取的客體實體對應
narr-pwc-combined = { $table } 項目用了組合對應
narr-exit-external = { $count } 次 I/O exit
narr-exit-stage2 = { $count } 次第二階段錯誤
narr-exit-misconfig = { $count } 次 EPT misconfiguration
narr-exit-page-fault = { $count } 次影子頁表錯誤
narr-exit-cr3 = { $count } 次寫入 CR3
narr-exit-invlpg = { $count } 次 INVLPG
narr-exit-host-cr3 = { $count } 次主機載入 CR3
narr-exit-kernel-entry = { $count } 次進入模擬的客體核心
narr-exit-kernel-return = { $count } 次從客體核心返回
narr-exit-root-load = { $count } 次載入沒有快取的影子根表
narr-host-split = 主機把一個 2 MiB 的透明大分頁（THP）拆成 4 KiB 分頁，所以從現在起 KVM 以 4 KiB 項目對應那段記憶體。
narr-host-refused = { $why }。
narr-ksm-scan = KSM 完成一輪完整掃描：{ $shared } 個 KSM 分頁，另有 { $sharing } 個分頁共用它們（省下的記憶體），{ $unshared } 個獨一無二，{ $volatile } 個自上一輪掃描後內容有變。
narr-balloon = 記憶體氣球現在占用 { $pages } 個客體分頁。
narr-swapped-out = 主機把 VM 記憶體的 { $pages } 個分頁寫到 swap。
narr-unmapped = { $frames } 個分頁{ $cause }：主機的 MMU notifier 讓 KVM 丟掉對應它們的 { $zapped } 個項目，所以客體下次碰到時會發生錯誤，KVM 再重新對應。
narr-swapped-in = { $pages } 個分頁從 swap 讀回來（主機上的 major fault；分頁若還在 swap cache 裡，則是 minor fault）。
narr-tlb-hit = { $level } TLB 命中（{ $size } 項目）：不用走訪分頁表。
narr-tlb-miss = TLB 未命中。
narr-tlb-miss-refs = TLB 未命中：{ $refs } 次分頁表參照（{ $kinds }）。
narr-tlb-miss-refs-walks = TLB 未命中：{ $walks } 次走訪共 { $refs } 次分頁表參照（{ $kinds }）。
narr-tlb-miss-native = TLB 未命中：{ $refs } 次分頁表參照。
narr-tlb-miss-native-walks = TLB 未命中：{ $walks } 次走訪共 { $refs } 次分頁表參照。
narr-kind-guest = 客體 { $count }
narr-kind-shadow = 影子 { $count }
narr-kind-stage2 = { $table } { $count }
narr-pwc = 分頁結構快取讓這次走訪從較低的層級開始：{ $hits }。
narr-pwc-walks = 分頁結構快取讓這些走訪從較低的層級開始：{ $hits }。
narr-did-stage2 = 在第二階段對應了 { $count } 個分頁
narr-did-shadow = 建了 { $count } 個影子分頁
narr-did-prefetch = 預先填入 { $count } 個相鄰項目
narr-did-fixed = 修好 { $count } 次錯誤
narr-exits = { $count } 次 VM exit（{ $reasons }）。
narr-exits-did = { $count } 次 VM exit（{ $reasons }）：hypervisor { $did }。
narr-flushes = { $flushes } 次 TLB 清除，移除了 { $removed } 個項目。
narr-ad = CPU 設定了 { $count } 個 accessed/dirty 旗標。
narr-fault-stage2 = 最後以錯誤結束：{ $fault }。這裡的 hypervisor 讓第二階段維持情境所設的樣子；KVM 則會在這個位址對應客體的 RAM 並讓客體重試，或把客體 RAM 以外的位址（或對唯讀 memslot 的寫入）當作 MMIO 交給 QEMU。
narr-fault = 最後以錯誤結束：{ $fault }。接下來執行作業系統的例外處理程式（在 VM 裡是客體自己的）。
narr-nothing = 沒有清除，也沒有 exit：TLB 保留原有的每一個項目。

## 每個計數器的意義
meaning-accesses = 執行的存取（讀取、寫入、取指令）次數。
meaning-tlb-hits = 由某一層 TLB 提供轉譯的存取。
meaning-tlb-l1-hits = 其中由 L1 TLB 提供的。
meaning-tlb-l2-hits = 其中由 L2 TLB 提供的。
meaning-tlb-misses = 每一層 TLB 都未命中的存取。
meaning-walks = 開始的硬體走訪次數（原生、客體疊在第二階段之上，或影子頁表走訪；巢狀走訪裡的第二階段子走訪不另外計）。
meaning-guest-refs = 線性維度上的參照：客體分頁表、原生分頁表或影子頁表。
meaning-host-refs = 主機維度上的參照：EPT 或 NPT 分頁表。
meaning-pwc-hits = 分頁結構快取命中次數。
meaning-ad-updates = 硬體更新 accessed/dirty 旗標的次數。
meaning-page-faults = #PF 錯誤（交給客體或注入客體）。
meaning-ept-violations = 第二階段錯誤：EPT violation 或 NPT 巢狀分頁錯誤（不論 hypervisor 是否處理）。
meaning-ept-misconfigs = EPT misconfiguration（設定錯誤）次數。
meaning-vm-exits = VM exit 次數（KVM 的 `exits`）。
meaning-shadow-faults = 影子頁表錯誤（每次都是一次 VM exit）。
meaning-shadow-pages = 建立的影子分頁。
meaning-shadow-fills = hypervisor 寫入的影子項目。
meaning-stage2-fills = hypervisor 的 TDP MMU 依需要建立的第二階段項目。
meaning-emulated-writes = 被 hypervisor 攔下並模擬的客體分頁表寫入。
meaning-hypervisor-refs = hypervisor 以軟體讀取客體分頁表的次數。
meaning-resync-changes = 重新同步未同步分頁時丟掉的影子項目。
meaning-tlb-flushes = 清除操作的次數（INVLPG、INVPCID、寫入 CR3、沒有 VPID 的 VM 轉換……）。
meaning-tlb-entries-flushed = 這些清除移除的 TLB 項目。
meaning-pf-taken = KVM：由它的 MMU 處理的錯誤 exit（影子 #PF 或第二階段 violation）。
meaning-pf-fixed = KVM：其中靠建立項目修好的。
meaning-pf-spurious = KVM：其中虛驚一場的（項目本來就是對的）。
meaning-pf-emulate = KVM：其中以模擬處理的（寫入受防寫保護的客體分頁表）。
meaning-pf-guest = KVM：其中當作客體自己的 #PF 注入客體的。
meaning-pages-4k = KVM：影子或第二階段分頁表裡存在的 4 KiB 葉項目（目前的數量）。
meaning-pages-2m = KVM：存在的 2 MiB 葉項目（目前的數量）。
meaning-pages-1g = KVM：存在的 1 GiB 葉項目（目前的數量）。
meaning-mmu-cache-miss = KVM：建立的影子分頁（`mmu_cache_miss`：在它的雜湊表裡找不到）。
meaning-mmu-unsync = KVM：目前與客體分頁表未同步的影子分頁（目前的數量）。
meaning-mmu-pte-write = KVM：寫入追蹤看到的、經模擬的客體寫入。
meaning-mmu-flooded = KVM：因客體分頁表被反覆寫入而丟掉的影子分頁。
meaning-mmu-shadow-zapped = KVM：丟掉的影子分頁。
meaning-tlb-flush = KVM：在 VM entry 時處理的 TLB 清除請求（同一次 exit 裡的多個請求只算一次）。
meaning-invlpg = KVM：它處理的客體 INVLPG（影子頁表下會被攔截）。
meaning-host-page-faults = 主機：執行期間第一次碰到時才由主機配置的分頁（沒有 `-mem-prealloc`）。
meaning-host-zero-page-maps = 主機：讀取未碰過的記憶體時給的共用零分頁。
meaning-host-cow-breaks = 主機：之後因寫入而被複製的零分頁。
meaning-host-swap-outs = 主機：寫到 swap 的 4 KiB 分頁（`pswpout`）。
meaning-host-swap-ins = 主機：被碰到時從 swap 讀回的 4 KiB 分頁（major fault，`pswpin`）。
meaning-host-thp-splits = 主機：被拆成 4 KiB 分頁的透明大分頁（THP）。
meaning-ksm-cow-breaks = 主機：因寫入而被複製的 KSM 分頁（共用被打破）。
meaning-mmu-notifier-zaps = KVM：因主機收回或替換分頁而丟掉的影子或第二階段項目（MMU notifier）。
meaning-ksm-full-scans = KSM：完整掃描的輪數（`full_scans`）。
meaning-ksm-pages-shared = KSM：使用中的 KSM 分頁（`pages_shared`），以最近一輪完整掃描為準。
meaning-ksm-pages-sharing = KSM：另外對應到它們的分頁，也就是省下的記憶體（`pages_sharing`）。
meaning-ksm-pages-unshared = KSM：檢查過、內容獨一無二的分頁（`pages_unshared`）。
meaning-ksm-pages-volatile = KSM：兩輪掃描之間內容有變的分頁（`pages_volatile`）。
meaning-balloon-pages = 記憶體氣球裡的客體分頁。
meaning-memory-refs = 硬體走訪器對分頁表記憶體的參照（guest_refs + host_refs）。
meaning-cycles = 全部週期數，依成本模型計算。
meaning-cycles-tlb = 花在 TLB 與分頁結構快取命中的週期。
meaning-cycles-walk = 花在硬體走訪的週期：參照與 A/D 更新。
meaning-cycles-vm-exit = 花在 VM exit 與返回 VM entry 的週期。
meaning-cycles-hypervisor = hypervisor 工作的週期：軟體走訪、更新影子頁表、模擬。

## 建立或操作機器時的錯誤（誤用與限制，不是架構上的錯誤）
machine-no-space = 位址空間 { $space } 不存在
machine-wrong-mode = { $op }需要 { $needs } 模式；這台機器執行的是 { $mode } 模式
machine-no-entry = { $gva } 的路徑上沒有第 { $level } 層的項目（上面有一層表不存在）
machine-not-ram = 客體實體位址 { $gpa } 不在客體 RAM 之內
machine-not-modelled = 本專案不模擬{ $op }：{ $why }
machine-bad-type = { $op } 沒有類型 { $kind }
machine-op-invpcid-shadow = 影子頁表下的 INVPCID
machine-why-invpcid-shadow = KVM 會攔截它並同步影子根表，而這一點本專案無法在真實 KVM 上驗證（這裡的客體 CPU 沒有 PCID）；要清除 TLB，請用 `invlpg` 或載入 `cr3`
machine-op-invpcid = INVPCID
machine-op-invvpid = INVVPID
machine-op-invept = INVEPT
machine-op-host-memory = 主機記憶體操作
machine-op-shadow-walk = 影子頁表走訪
machine-op-host-cr3 = 主機端載入 CR3
machine-op-vm-exit = VM exit
machine-op-stage2-map = 第二階段對應
machine-op-stage2-backing = 第二階段的後端記憶體
machine-op-stage2-edit = 修改第二階段項目
machine-needs-ept = ept
machine-needs-vm = ept、npt 或 shadow
machine-needs-shadow = shadow
machine-needs-tdp = ept 或 npt
build-pool-full = 分頁表池 { $start }..{ $end } 已滿；請少對應一些，或給它更多空間
build-unaligned = { $what } { $addr } 沒有對齊它所對應的 { $size } 分頁
build-what-virtual = 虛擬位址
build-what-physical = 實體位址
build-overlap = { $addr } 已在第 { $level } 層被對應
build-bad-size = 這些分頁表不能對應 { $size } 分頁
memory-frame-limit = 這台機器需要超過 { $limit } 個 4 KiB 框；請提高 `max_frames` 或少對應一些
memory-unaligned = 項目位址 { $addr } 沒有對齊 8 位元組
memory-no-memslot = 客體實體位址 { $gpa } 不在客體 RAM 之內
