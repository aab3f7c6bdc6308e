# kvm：繁體中文（台灣）。情境為什麼不能在 KVM runtime 上執行（pagewalk kvm run、網頁版的
# 「在這台機器的 KVM 上執行」）。每則訊息都對應 ../en/kvm.ftl 的同名訊息。

kvm-at-step = 第 { $line } 行第 { $column } 欄的 trace 項目：{ $why }
kvm-no-la57 = 五層客體分頁：這裡的 KVM 提供的客體 CPU 沒有 LA57
kvm-no-gbpages = 客體 1 GiB 分頁：這裡提供的客體 CPU 沒有 GBPAGES
kvm-low-gpa = 有一個對應用到 1 MiB 以下的客體實體記憶體，那裡是 KVM runtime 所在的地方
kvm-stage2-maps = 明確指定的第二階段對應：這台主機的 KVM 以影子頁表執行
kvm-too-many-vms = 超過四台 VM：執行器要同時對應每台 VM 的客體 RAM
kvm-mergeable = `[host] mergeable` 必須是 1 MiB 以上、KVM runtime 不在的完整 4 KiB 分頁
kvm-too-many-spaces = 超過 256 個位址空間：runtime 以一個位元組標示位址空間
kvm-runtime-slot-map = 有一個對應位在位址空間最上面的 512 GiB（PML4 第 511 格），那裡是 KVM runtime 所在的地方
kvm-runtime-slot-write = 在 KVM runtime 自己的對應路徑上（PML4 第 511 格）寫入客體分頁表，會讓客體碰不到自己的程式碼
kvm-non-canonical = 非標準形式（non-canonical）的位址（{ $from }..{ $to }）：runtime 沒有 #GP 處理程式
kvm-runtime-slot-access = 存取位在 PML4 第 511 格，那裡是 KVM runtime 所在的地方
kvm-supervisor = 核心模式的存取：被量測的客體程式碼在 CPL 3 執行
kvm-fetch = 從資料分頁擷取指令（runtime 還不支援）
kvm-random-table = 隨機位址的數量超過 runtime 位址表的容量
kvm-invalidations = INVPCID／INVVPID／INVEPT 步驟（這裡的客體 CPU 沒有 PCID；INVVPID／INVEPT 是 VMX root 模式的指令）
kvm-set-ac = 改變 RFLAGS.AC 需要 CPL 0
kvm-ksm-needs-mergeable = ksm_scan 步驟需要 `[host] mergeable = { "{" } gpa = ..., size = ... { "}" }`：在 KVM 上只有這段範圍會（在客體執行之前）標記為 MADV_MERGEABLE，KSM 才會看到情境的分頁，而不是 runtime 的
kvm-model-slow = 模型重播這段客體程式超過 { $seconds } 秒；請縮短 trace
kvm-host-ops = 超過 256 個主機操作
kvm-exits-room = { $count } 次 VM exit 產生的客體程式碼超過 runtime 的空間（{ $kib } KiB）
kvm-guest-entry = { $why }
kvm-cannot-run = 無法在 KVM runtime 上執行
kvm-code-room = 這段 trace 產生的客體程式碼超過 runtime 的空間
kvm-warmup-room = 暖身程式碼放不進一個分頁
kvm-guest-ram = 客體需要 { $need } MiB 的 RAM（有對應或分頁表寫入指向那裡），超過它的 `guest_ram`（{ $have } MiB）
kvm-host-settings = 這個情境會 swap 或驅動 KSM，要改變主機設定（swap 檔、/sys/kernel/mm/ksm），網頁不可以這麼做：請在終端機以 root 執行 `pagewalk kvm run FILE`
