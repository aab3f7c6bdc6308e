# host：繁體中文（台灣）。每則訊息都對應 ../en/host.ftl.ftl 的同名訊息（有測試檢查）。
# 反引號之間的文字以程式碼字型顯示。開頭的 {" "} 保留 Fluent 會去掉的空白。

## 主機頁面（#page=host）
host-title = 主機與 VM 的記憶體
host-intro = 對主機來說，一台 VM 就是一個 QEMU 行程：客體的 RAM 就是這個行程的記憶體，大小由 `-m` 指定；客體碰到哪裡，主機才配置到哪裡，或是一次從預留的大分頁池整批取得。下面這些計算器用模擬器與 `pagewalk host` 相同的函式，替你的主機算出文章裡的數字。
host-sentence-end = 。

host-ram-heading = VM 總共可以分到多少記憶體？
host-ram-rule = 文章引用的經驗法則：主機記憶體在 64 GB 以內時為 `RAM - 2 GB`；超過時為 `RAM - (2 GB + 0.5 * RAM / 64)`，也就是每多 64 GB 再替主機多留 0.5 GB。
host-ram-label = 主機記憶體（GiB）
host-ram-for-vms = 可給 VM 的記憶體：
host-ram-keeps = （主機保留 { $size }）
host-formula-second = 主機記憶體超過 64 GB，所以套用第二個公式：
host-formula-first = 主機記憶體不超過 64 GB，所以套用第一個公式：
host-ram-nothing-left = （沒有剩下可給 VM 的記憶體）
host-slip-title = 文章的第一個例子算錯了：
host-slip = 文中說 32 GB 的主機可留 `32 - 2 = 10` GB 給 VM，但公式算出來是 { $gib }。第二個例子（256 GB 留下 252 GB）是對的。這條規則也沒有算進每台 VM 在 `-m` 之外的開銷（QEMU 本身、stage-2 或影子頁表），請見
host-slip-link = VM 可以用多少記憶體？
host-gib-empty = 請輸入主機記憶體大小（GiB），例如 32
host-gib-not-number = 「{ $text }」不是 GiB 數值：請輸入像 32 或 0.5 這樣的數字
host-gib-not-ram = 「{ $text }」GiB 不是有效的記憶體大小：請輸入大於 0 的數字

host-m-heading = `-m` 是什麼意思？
host-m-intro = 除非加了單位字尾（`K`、`M`、`G`、`T`），QEMU 會把 `-m` 的數值當成 MiB；文章用 `-m 2048` 和 `-m 4G` 啟動 VM。逗號後面的選項（`slots=`、`maxmem=`，用於之後熱插拔的記憶體）不會改變 VM 開機時的記憶體大小。
host-m-label = 你打算給 -m 的值
host-m-is = {" "}即{" "}
host-m-bytes = {" "}= { $bytes } 位元組
# QEMU 不接受某個 -m 參數的原因（pagewalk_core::sizing::QemuSizeError）。
qemu-m-empty = `-m` 需要一個大小，例如 2048 或 4G
qemu-m-suffix = `{ $suffix }` 不是大小單位：QEMU 只接受 B、K、M、G、T、P、E 其中一個字母
qemu-m-not-a-size = `{ $text }` 不是大小：請寫 MiB 數，例如 2048，或寫成 4G、1.5G
qemu-m-unusable = `{ $text }` 不是可用的記憶體大小

host-hp-heading = 替 VM 準備大分頁（Huge Page）
host-hp-intro = 用 hugetlbfs 作為 VM 的記憶體，需要事先預留一池大分頁：文章算出 2048 MiB 的 VM 需要 `2048 * 1024 / 2048 = 1024` 個 2 MiB 分頁，接著掛載 hugetlbfs，再以 `-mem-path` 啟動 QEMU。沒有 `-mem-prealloc` 時，客體第一次碰到某個分頁，VM 才取得那個分頁；加上它，QEMU 會在客體開始執行前就把分頁全部拿走。
host-vm-label = VM 記憶體（-m）
host-hp-page-size = 大分頁大小
host-prealloc-label = -mem-prealloc（啟動時就取得所有分頁）
host-pages-needed = 需要的分頁數：
host-pages-of = {" "}個 { $page } 大分頁，供 { $vm } 的 VM 使用
host-pool = （預留 { $pool }）
host-pool-rounded = （預留 { $pool }，由 { $vm } 無條件進位）
host-commands-intro = 依文章的順序執行這些指令：確認分頁大小與分頁池、掛載 hugetlbfs、設定分頁池大小，再從分頁池啟動 VM。
host-commands-label = 要執行的指令，一行一個
host-copy = 複製指令
host-copied = {" "}已複製
host-copy-failed = {" "}這個瀏覽器不允許頁面複製：請直接選取文字
host-watch = 實際看看：
host-watch-without = 不加 -mem-prealloc
host-watch-mid = （即文章中的 `HugePages_Free 738`），以及
host-watch-with = 加上它
host-watch-end = ：課程中的「主機記憶體」面板會即時顯示 `/proc/meminfo`。

host-swap-heading = swap 該設多大？
host-swap-intro = 文章引用的 swap 建議表：
host-swap-table = 依系統記憶體建議的 swap 大小
host-swap-col-ram = 系統記憶體
host-swap-col-swap = 建議的 swap
host-swap-col-yours = 你的主機
# 表格各列的建議（pagewalk_core::sizing::SwapAdvice）。
swap-twice-ram = 記憶體大小的 2 倍
swap-equal-to-ram = 與記憶體大小相同
swap-at-least-4g = 至少 4 GB
host-swap-result = 主機記憶體為 { $ram } 時適用「{ $row }」這一列：swap 至少{" "}
host-swap-result-end = 。
host-swap-note-title = 這是一般性建議，不是 KVM 的容量規劃規則：
host-swap-note = 這張表是 Red Hat 給所有 RHEL 7 系統的建議（出自其《Storage Administration Guide》）。一台記憶體超用的 KVM 主機需要多少 swap，取決於它答應給 VM 的記憶體比實際擁有的多出多少，以及 VM 的記憶體有多少是冷資料；而 hugetlbfs 的記憶體永遠不會被置換出去。請見
host-swap-note-link = 記憶體超用

host-lessons-heading = 主機這一側，一步一步看
host-lessons-intro = 下面每個課程都會在計數器旁顯示「主機記憶體」面板：模擬的 `/proc/meminfo`、每台 VM 的記憶體，以及主機的計數器，都是所顯示那一步的狀態。
host-watch-hugetlbfs-738-free = 沒有 -mem-prealloc 時，客體第一次碰到某個大分頁，VM 才取得它：看 HugePages_Free 降到文章中的 738，而 HugePages_Rsvd 仍替 VM 保留其餘的分頁
host-watch-hugetlbfs-738-free-prealloc = 同一台 VM 加上 -mem-prealloc：客體開始執行前 1024 個分頁就全部被取走（從第 0 步起 HugePages_Free 就是 0）
host-watch-overcommit-three-vms = 在 8 GiB 的主機上答應給出 12 GiB；swap、記憶體氣球和 KSM 各收回一部分：看每台 VM 的長條圖
host-watch-swap-out-and-back = 主機把 64 個分頁置換出去（SwapFree 下降），客體再一頁一頁因分頁錯誤把它們換回來
host-watch-balloon-inflate-and-touch = 記憶體氣球拿走 32 個分頁又還回來，客體讀到的是全零：先對應到零分頁，寫入時才複製
host-watch-ksm-identical-pages = KSM 把同一台 VM 中內容相同的分頁合併成一份，直到客體寫入其中一頁
host-watch-ksm-two-vms = 兩台 VM 來自同一個映像檔：兩邊都有的內容，KSM 只留一份
host-watch-thp-split-by-balloon = 記憶體氣球拿走一個 4 KiB 分頁，就把一個 2 MiB 的透明大分頁（THP）拆開
host-watch-thp-swap-keeps-only-written-pages = 把透明大分頁置換出去會先拆開它；只有寫過的分頁會寫進 swap
host-watch-hugetlbfs-cannot-swap = 主機要求把一個 hugetlbfs 分頁置換出去，結果什麼也沒發生：SwapFree 不變

## 播放器的「主機記憶體」面板
host-panel-title = 主機記憶體
host-panel-after = （第 { $step } 步之後）
host-panel-this-step = 這一步：
host-meminfo-label = 模擬的 /proc/meminfo
host-meminfo-caption = （只計 VM 的記憶體）
host-rose = 這一步增加
host-fell = 這一步減少
host-rose-sr = 這一步增加，現在為
host-fell-sr = 這一步減少，現在為
host-vm-memory-one = VM 的記憶體
host-vm-memory-many = 每台 VM 的記憶體（共 { $count } 台）
host-legend-label = 長條圖的圖例
host-legend-key = 圖例：
host-seg-resident = 常駐
host-seg-shared = 共用（KSM）
host-seg-swapped = 已置換（swap）
host-seg-ballooned = 在氣球中
host-seg-zero = 零分頁
host-seg-untouched = 已承諾、從未碰觸
host-seg-title = { $name }：{ $size }
host-bar-label = VM { $vm }：承諾 { $promised }，其中 { $parts }
host-bars-caption = 每條長條代表 -m 答應給這台 VM 的記憶體：
host-bars-zoomed = 放大檢視：每台 VM 碰觸過或交給氣球的記憶體，所有 VM 使用同一比例（整條寬度為 { $size }）
host-vm-table-scroll = 每台 VM 的記憶體（可捲動）
host-vm-table = 每台 VM 的記憶體
host-vm-col = 記憶體
host-field-committed = 承諾
host-field-committed-what = -m 答應給客體的記憶體
host-field-touched = 已碰觸
host-field-touched-what = 客體碰觸過、而且背後仍有東西的記憶體：常駐、已置換或對應到零分頁
host-field-resident = 常駐
host-field-resident-what = 在主機 RAM 中（匿名記憶體或 hugetlbfs 分頁），包含 KSM 共用的分頁
host-field-swapped = 已置換
host-field-swapped-what = 已寫入主機的 swap
host-field-ballooned = 在氣球中
host-field-ballooned-what = 在記憶體氣球裡：已歸還給主機
host-field-shared = 共用
host-field-shared-what = 對應到與其他分頁共用的 KSM 分頁
host-field-zero = 零分頁
host-field-zero-what = 對應到主機的零分頁：本身不占記憶體
host-counters = 主機的計數器
host-col-counter = 計數器
host-col-so-far = 累計
host-col-this-step = 這一步

## 主機的計數器（pagewalk_core::HOST_COUNTERS）
counter-host_page_faults = 主機分頁錯誤
counter-host_zero_page_maps = 主機零分頁對應
counter-host_cow_breaks = 主機零分頁寫入時複製
counter-host_swap_outs = 主機換出（swap out）
counter-host_swap_ins = 主機換入（swap in）
counter-host_thp_splits = 主機 THP 拆分
counter-mmu_notifier_zaps = MMU notifier 清除項目
counter-balloon_pages = 氣球中的分頁
counter-ksm_full_scans = KSM 完整掃描（full_scans）
counter-ksm_pages_shared = KSM 共用頁（pages_shared）
counter-ksm_pages_sharing = KSM 省下的分頁（pages_sharing）
counter-ksm_pages_unshared = KSM 未共用頁（pages_unshared）
counter-ksm_pages_volatile = KSM 易變頁（pages_volatile）
counter-ksm_cow_breaks = KSM 寫入時複製
