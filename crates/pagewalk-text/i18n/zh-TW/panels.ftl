# panels：繁體中文（台灣）。每則訊息都對應 ../en/panels.ftl 的同名訊息（有測試檢查）。
# 課程頁側邊的面板（TLB、位址位元、圖表、真實 KVM）、閱讀頁的外框，以及網頁版的提示與錯誤訊息。

## TLB 面板
tlb-heading = { $count ->
   *[other] TLB：{ $count } 個項目
}
tlb-missed = 未命中
tlb-missed-title = 這次存取不在 TLB 裡：硬體走訪了分頁表
tlb-count-all = 全部 { $count } 個項目，依陣列中的順序
tlb-count-first = { $count } 個項目中的前 { $shown } 個，依陣列中的順序
tlb-show-few = 只顯示前幾個
tlb-see-all = 顯示全部
tlb-rows-label = TLB 項目（可捲動）
tlb-table-label = TLB 項目
tlb-col-array = 陣列
tlb-col-array-title = 存放這個項目的是哪一個 TLB 陣列
tlb-col-slot = 位置
tlb-col-slot-title = 在該陣列中的組（set）與路（way）
tlb-col-map-title = 客體虛擬分頁 → 主機實體分頁，以及分頁大小
tlb-col-tags = 標籤
tlb-col-tags-title = 標籤：VPID（虛擬 CPU）、PCID（行程）、G（全域：寫入 CR3 後仍然保留）
tlb-row-stale = 已過時：分頁表現在的內容已經不一樣了
tlb-row-hit = 這次存取命中了這個項目
tlb-row-fill = 這次走訪填入的項目

## 位址面板
address-label = 位址的各個位元

## 圖表
chart-misses = 每次存取的 TLB 未命中次數
chart-misses-unit = 未命中次數 ÷ 存取次數，從第一次存取累計到每一步（因影子頁表錯誤或 EPT violation 而 VM exit 的存取，會在客體重試時再查一次 TLB，所以這個值可能超過 1）
chart-refs = 每次存取的分頁表參照次數
chart-refs-unit = 到目前為止，硬體讀取分頁表的次數 ÷ 存取次數
chart-cycles = 到目前為止的週期數，依種類區分
chart-cycles-unit = 成本模型估算的週期數：
chart-label = { $title }，從第 { $from } 步到第 { $to } 步
chart-step = 第 { $step } 步
chart-now = — 目前 { $value }
chart-kind-walk = 分頁表走訪
chart-kind-vm = VM exit
chart-kind-hv = hypervisor 的處理
chart-kind-tlbc = TLB 與快取

## 真實 KVM 面板
kvm-summary = 真實的 KVM：在 /dev/kvm 上執行這個情境，或載入
kvm-run = 在這台機器的 KVM 上執行
kvm-run-unavailable = 在這台機器的 KVM 上執行（無法使用）
kvm-running = 正在 KVM 上執行…
kvm-asking = 正在詢問伺服器…
kvm-ready = 在伺服器的 /dev/kvm（{ $mode }）上執行畫面上的這個情境，並把 KVM 自己的計數器放在模型的計數器旁邊
kvm-mode-shadow = 影子頁表
kvm-not-served = 這份網頁不是從 `pagewalk serve` 開啟的，所以無法在這裡執行 KVM：請用 `bash scripts/serve.sh` 啟動，並開啟它印出的網址；或是執行 `pagewalk kvm run --json FILE`，再從下方載入那個檔案
kvm-unavailable = 伺服器所在的主機無法使用 KVM
kvm-no-request = 無法送出請求
kvm-no-answer = 伺服器沒有回應（`pagewalk serve` 還在執行嗎？）
kvm-status = 伺服器回應了 { $status }
kvm-on-screen = 畫面上的情境
kvm-not-run = 沒有執行：{ $why }
kvm-col-counter = 計數器
kvm-col-simulated = 模擬值
kvm-col-real = 真實 KVM
kvm-col-agree = 一致？
kvm-not-observable = 在那台主機上觀察不到（沒有 TLB 與分頁表走訪的硬體計數器）：{ $list }。
kvm-file-label = KVM 結果檔案
kvm-paste = 或把 JSON 貼在這裡，也可以把檔案拖放到這個框裡
kvm-json-label = KVM 結果的 JSON
kvm-json-not-json = 這不是 JSON：{ $error }
kvm-json-want = 這裡要的是 `pagewalk kvm run --json` 印出的陣列
kvm-json-empty = { kvm-json-want }；這個陣列是空的
kvm-json-no-file = { kvm-json-want }；第 { $n } 個元素沒有 "file"
kvm-json-bad-counter = { kvm-json-want }；{ $file } 有個計數器缺少 name、simulated、real 或 match
kvm-json-no-counters = { kvm-json-want }；{ $file } 的元素既沒有計數器，也沒有說明為什麼沒有執行

## 閱讀頁
reading-in-english = 「{ $title }」這一頁目前只有英文版。
reading-open-lesson = 開啟這一課
page-addresses = 四個位址空間：GVA、GPA、HVA、HPA
page-page-walks = 分頁表走訪與 TLB
page-nested-paging = 巢狀分頁：EPT 與 NPT
page-shadow-paging = 影子頁表
page-shadow-vs-ept = 影子頁表還是 EPT：各自的代價
page-vpid = TLB 與 VPID
page-huge-pages = 大分頁（Huge Page）
page-host-support = 這台主機有 EPT 和 VPID 嗎？
page-ram-for-vms = VM 可以有多少 RAM？
page-overcommit = 記憶體超用（Memory Overcommit）

## 提示
notice-no-lesson-start = 沒有名為「{ $name }」的課程。這裡是起始頁；所有課程都列在左側。
notice-no-lesson = 沒有名為「{ $name }」的課程。
notice-trace-over = 已經沒有下一次存取了：這段追蹤紀錄已經結束。

## 先預測再揭曉的答案
predict-access = 對 { $gva } 的{ $access }
fault-none = 沒有錯誤
fault-stage2 = EPT violation / NPF（會造成 VM exit）
verdict-hit = TLB 命中
verdict-miss = TLB 未命中
verdict-refs = { $count ->
   *[other] { $count } 次分頁表參照
}
verdict-you-said = { $answer }（你答的是「{ $said }」）
