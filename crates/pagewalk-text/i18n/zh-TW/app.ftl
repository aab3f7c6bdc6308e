# 網頁版的文字，繁體中文（台灣）。每一則訊息都對應 en.ftl 的同名訊息（有測試檢查兩個檔案的訊息與變數一致）。
# 位址、暫存器與指令名稱、計數器名稱和數字不是訊息：兩種語言都照原樣顯示。

app-title = pagewalk
app-document-title = pagewalk：記憶體位址如何轉譯
app-tagline = CPU 與 hypervisor 如何轉譯記憶體位址，一次一個參照
lang-switch = 語言
lang-en = English
lang-zh-TW = 中文（台灣）

## 起始頁
start-heading = CPU 與 hypervisor 如何轉譯記憶體位址
start-intro = 虛擬機器裡的程式所用的位址，要經過四個位址空間才會落到 RAM 的某個位元組上。每一步都有自己的對應表，由不同的角色維護。pagewalk 把 CPU 與 KVM 走的每一步都呈現出來，一次一個參照，並且拿它的 KVM 模型和真實的 /dev/kvm 互相比對。
start-spaces-label = 四個位址空間
space-gva = 客體虛擬位址
space-gva-what = 客體程式使用的位址
map-guest-tables = 客體分頁表
map-guest-tables-who = 由客體核心維護；根在 CR3
space-gpa = 客體實體位址
space-gpa-what = 客體以為的 RAM
map-memslots = memslot
map-memslots-who = 由 VMM（QEMU）維護：客體的 RAM 就是它的記憶體
space-hva = 主機虛擬位址
space-hva-what = VMM 行程的位址
map-host-tables = 主機分頁表
map-host-tables-who = 由主機核心維護；會因 swap、KSM、THP、記憶體緊縮（compaction）而改變
space-hpa = 主機實體位址
space-hpa-what = 那個位元組真正所在的地方
start-walks-title = CPU 走訪的是什麼。
start-walks = CPU 讀不到中間那兩張對應表，所以 KVM 把它們合成 CPU 能走訪的表：在 EPT（Intel）或 NPT（AMD）下，第二階段（stage-2）分頁表負責 GPA → HPA，CPU 同時走訪客體的分頁表和這些表，是最多 24 次參照的二維走訪（五層時 35 次）；在影子頁表（shadow paging）下，影子頁表直接對應 GVA → HPA，由 KVM 在軟體裡讓它們跟上客體分頁表的變化。
start-host-title = 當主機改變主意時。
start-host = 如果主機搬移或釋放了某個 HVA 背後的分頁（swap、KSM、記憶體緊縮、THP），MMU notifier 會通知 KVM，KVM 就丟掉對應的 stage-2 或影子頁表項目；客體下一次碰到它時會發生錯誤，KVM 再重新對應那個分頁。
start-panels = 各個面板顯示什麼
panel-walk = 走訪
panel-walk-what = ：二維走訪時是一張格子圖，每一列是讀到的客體分頁表項目，每一欄是為它走訪的 stage-2 層級，每次參照都依硬體實際的順序編號；下方依序列出這次存取的每個事件（TLB 查詢、讀取分頁表、錯誤、VM exit、hypervisor 做了什麼）。
panel-counters = 計數器
panel-counters-what = ：到目前為止發生了什麼，由那些事件累計而來；KVM 自己的統計數字也來自同樣的事件。
panel-address = 位址
panel-address-what = ：位址的各個位元，切成每一層使用的索引。
panel-tlb = TLB
panel-tlb-what = ：快取的轉譯結果，以及存放它的陣列與位置和它的標籤（VPID、PCID）。
panel-shadow = 影子對照
panel-shadow-what = （影子頁表）：客體的分頁表項目與 hypervisor 的影子項目並排。
start-keys = 按鍵
start-keys-what = → 下一次存取，← 上一次，↓ / ↑ 一次看這次存取的一個事件，空白鍵 播放或暫停，End 跑到最後。
start-resume = 從上次離開的地方繼續
start-path = 學習路徑
start-path-what = 課程依照 pagewalk 所講解的那篇文章的順序。從第一課開始；每一課的頁面都會說明要看什麼。
start-more = { $count ->
   *[other] 另外還有 { $count } 課
}
start-also = 另見：
start-claims-link = 文章說了什麼，今天還成立的有哪些

## 課程清單
gallery-reading = 閱讀
gallery-start = 從這裡開始：四種位址
gallery-practice = 練習：自動產生的題目
gallery-score-practice = 你在自動產生題目上的得分
gallery-score-lesson = 你在這一課「先預測再揭曉」的得分

## 學習路徑的主題（state::PATH）
topic-addresses = 位址與分頁表走訪
topic-tlb = TLB（轉譯後備緩衝區）
topic-faults = 分頁錯誤
topic-shadow = 影子頁表
topic-ept = EPT 與 NPT：二維走訪
topic-vpid = VPID：VM exit 之後仍保留的 TLB 項目
topic-pcid = PCID：切換行程之後仍保留的 TLB 項目
topic-huge = 大分頁（Huge Page）與主機記憶體
topic-overcommit = 記憶體超用（Memory Overcommit）：swap、記憶體氣球、KSM
topic-kvm-prefetch = 深入 KVM 的 MMU：第一次存取與預先抓取
topic-kvm-huge = 深入 KVM 的 MMU：主機上的大分頁

## 課程標題區
lesson-about = 關於這一課
lesson-pvm-title = 依照本專案的 KVM 主機建模，這台主機以 PVM 執行客體。
lesson-pvm = 本專案拿來比對的機器，CPU 沒有 VT-x 也沒有 AMD-V（/proc/cpuinfo 裡沒有 vmx 或 svm），所以上面的 KVM 是 PVM：它以影子頁表執行客體，不靠硬體虛擬化，並模擬客體核心的程式碼，因此會多出 VT-x 不需要的 VM exit（進入與離開客體核心）。影子 MMU 是 KVM 自己的，而這一課的 KVM 計數器都和那台機器上的真實 KVM 比對過（pagewalk kvm run）。
lesson-nav = 課程
lesson-next = 下一課：{ $title } →
lesson-compare = 並排比較：{ $what }
lesson-problems = 這個檔案有問題

## 播放
controls = 播放
ctl-back = ◀ 上一步
ctl-back-title = 上一步（左方向鍵）
ctl-play = 播放
ctl-pause = ❚❚ 暫停
ctl-play-title = 播放／暫停（空白鍵）
ctl-step = 下一步 ▶
ctl-step-title = 下一步（右方向鍵）
ctl-end = 跑到最後
ctl-end-title = 跑到最後（End）
ctl-refs = 一次一個存取事件
ctl-ref-prev = ‹ 事件
ctl-ref-prev-title = 這次存取的上一個事件（上方向鍵）
ctl-ref-next = 事件 ›
ctl-ref-next-title = 這次存取的下一個事件（下方向鍵）
ctl-speed = 速度
ctl-speed-label = 播放速度
ctl-slow = 慢
ctl-normal = 一般
ctl-fast = 快
ctl-fastest = 最快
ctl-timeline = 時間軸
ctl-position = 第 { $step } 步，共 { $total } 步
start-host-link = 主機與 VM 的記憶體
start-host-what = ：VM 可以用多少記憶體、-m 代表什麼、一台 VM 需要多少 Huge Page、swap 該設多大。
gallery-host = 主機與 VM 的記憶體：RAM、-m、Huge Page、swap
gallery-label = 課程
ctl-back-label = 上一步
ctl-play-label = 播放或暫停
ctl-step-label = 下一步

## 先預測再揭曉
predict-toggle = 先預測，再揭曉
predict-next = 下一次存取：
predict-none = 這段追蹤紀錄已經沒有存取了。
predict-how = 回答下面三題中的任何幾題，再按揭曉：每個答案都會計分，揭曉時會說明原因。
predict-hit-label = 命中還是未命中？
predict-tlb = TLB：
predict-hit = 命中
predict-miss = 未命中
predict-refs-label = 幾次參照？
predict-refs = 分頁表參照次數：
predict-fault-label = 哪一種錯誤？
predict-fault = 錯誤：
predict-reveal = 揭曉
predict-score = 這一課：{ $right } / { $total }
predict-right = 答對：
predict-wrong = 這次沒答對：
predict-open = 沒有作答：
predict-why = 原因：
page-post-claims = 文章說了什麼，今天還成立的有哪些（英文）
topic-kvm-faults = 深入 KVM 的 MMU：客體自己的分頁錯誤
topic-kvm-writes = 深入 KVM 的 MMU：客體寫入分頁表
topic-kvm-cr3 = 深入 KVM 的 MMU：位址空間與 CR3

## 計數器（名稱；滑鼠停留時的說明目前是核心的英文說明）
counters-label = 計數器
counters-kvm = KVM 的統計數字
counters-kvm-title = 由 hypervisor 的事件累計而來，名稱與 KVM_GET_STATS_FD 給的相同；pagewalk kvm run 會拿它們和真實的 KVM 比對
counter-accesses = 存取次數
counter-tlb_hits = TLB 命中
counter-tlb_misses = TLB 未命中
counter-walks = 分頁表走訪
counter-memory_refs = 分頁表記憶體參照
counter-guest_refs = 線性維度參照
counter-host_refs = 第二階段參照
counter-pwc_hits = 分頁結構快取命中
counter-ad_updates = A/D 位元更新
counter-page_faults = 分頁錯誤
counter-ept_violations = EPT violation
counter-vm_exits = VM exit
counter-shadow_faults = 影子頁表錯誤
counter-tlb_flushes = TLB 清除
counter-cycles = 週期數

## 走訪面板與編輯器
pane-walk = 走訪
walk-first = 按 ▶（或右方向鍵）做第一次存取。
walk-grid-label = 二維走訪
walk-grid-corner = 客體分頁表
walk-grid-entry = 客體項目
walk-shadow-label = 客體分頁表與影子頁表
walk-level = 層級
walk-guest-entry = 客體分頁表項目（GPA = 值）
walk-shadow-entry = 影子項目（HPA = 值）
editor-edit = 編輯這個情境
editor-label = 情境的 TOML
editor-load = 載入

## 術語表頁
glossary-title = 術語表
glossary-intro = pagewalk 用到的每一個術語，附上 Intel SDM、AMD APM 與 KVM 的英文名稱。在課程說明或旁白裡把滑鼠移到術語上，就會看到它的解釋。
gallery-glossary = 術語表：每個術語與它的意思

## 走訪格子圖
walk-event-of = — 第 { $n } 個事件，共 { $total } 個
walk-badge-pwc = 快取
walk-badge-pwc-title = 分頁結構快取裡的客體實體對應讓第二階段走訪跳過了上面幾層
walk-badge-combined = 組合對應
walk-badge-combined-title = 分頁結構快取裡的組合對應直接給出這張客體分頁表的主機實體位址：不必走訪第二階段
walk-badge-again = 重新走訪
walk-badge-again-title = VM exit 之後，走訪從頭再來一次
walk-badge-exit = violation → exit
walk-badge-exit-title = EPT violation：一次 VM exit；hypervisor 在第二階段對應這個分頁，客體再重試
walk-formula = 共 { $refs } 次參照；完全沒有快取時，一次走訪要 (g+1)(h+1)-1 = { $full } 次
walk-formula-retries = { $walks } 次走訪共 { $refs } 次參照（其中 { $faulted } 次以第二階段錯誤與 VM exit 結束）；完全沒有快取時，一次走訪要 (g+1)(h+1)-1 = { $full } 次
