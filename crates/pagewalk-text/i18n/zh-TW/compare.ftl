# compare：繁體中文（台灣）。每則訊息都對應 ../en/compare.ftl.ftl 的同名訊息（有測試檢查）。

## 比較頁面（#compare=left,right）
compare-nothing = 沒有可比較的內容
compare-no-lesson = 沒有名為「{ $left }」或「{ $right }」的內建課程
compare-side-by-side = 並排比較
compare-left = 左
compare-right = 右
# state::COMPARISONS 中每組比較的兩邊，以「 | 」分隔。
compare-what-shadow-ept = 影子頁表 | EPT
compare-what-vpid = 關閉 VPID | 開啟 VPID
compare-what-pcid = 關閉 PCID | 開啟 PCID
compare-what-host-pages = 主機用 4 KiB 分頁 | 主機用 2 MiB 分頁
compare-what-prealloc = 不加 -mem-prealloc | 加上 -mem-prealloc
compare-heading = 比較：{ $what }
compare-label = 兩個課程並排比較
compare-chart-caption = 整個執行過程依類型分的週期數（兩邊用同一比例；成本模型的週期數：每次記憶體存取 40、每次 VM exit 來回 1200……）
compare-chart-label = 兩個課程依類型分的週期數，使用同一比例
compare-cycles-title = { $kind }：{ $cycles } 個週期
compare-kind-walk = 分頁表走訪
compare-kind-vm = VM exit
compare-kind-hv = hypervisor 的工作
compare-kind-tlbc = TLB 與快取
compare-axis = {" "}—— 座標軸單位：千個週期
compare-table-label = 兩次執行的計數器
compare-col-counter = 計數器
compare-col-difference = 差異

## 比較表格中、計數器面板以外的計數器
counter-tlb_l1_hits = L1 TLB 命中
counter-tlb_l2_hits = L2 TLB 命中
counter-ept_misconfigs = EPT misconfiguration
counter-shadow_pages = 影子頁表分頁
counter-shadow_fills = 影子頁表項目寫入
counter-stage2_fills = stage-2 項目寫入
counter-emulated_writes = 模擬的分頁表寫入
counter-hypervisor_refs = hypervisor 的分頁表存取
counter-resync_changes = 重新同步丟棄的項目
counter-tlb_entries_flushed = 清除的 TLB 項目
counter-cycles_tlb = TLB 與快取的週期
counter-cycles_walk = 分頁表走訪的週期
counter-cycles_vm_exit = VM exit 的週期
counter-cycles_hypervisor = hypervisor 的週期
