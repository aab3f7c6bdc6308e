# practice：繁體中文（台灣）。每則訊息都對應 ../en/practice.ftl.ftl 的同名訊息（有測試檢查）。

## 練習頁面（#page=practice）
practice-title = 練習：由種子產生的題目
practice-intro = 每道題目都是一個小型情境，像 OSTEP 的分頁作業那樣由種子產生；答案就是模擬器實際執行它的結果。偶數種子問一次走訪要存取幾次分頁表，奇數種子則要你讀分頁表，自己把位址轉譯出來。
practice-question = 題目（種子 { $seed }）
practice-answer-label = 你的答案：
practice-check = 檢查
practice-next = 再出一題
practice-score = {" "}得分 { $right } / { $total }
practice-right = 答對了：{ $answer }。
practice-wrong = 這次不對，答案是 { $answer }。
practice-why = 原因：
practice-open = 在播放器中開啟這道題目
practice-open-end = ，一步一步看這次走訪。
practice-answer-refs = { $count } 次分頁表參照
practice-answer-address = 實體位址 { $address }
practice-answer-fault = 分頁錯誤（#PF）

## 題目（web/src/practice.rs）
practice-setup-native = 一台沒有 hypervisor 的機器，使用 { $levels } 層分頁；這個分頁是 { $page } 分頁。
practice-setup-nested = { $levels } 層分頁的客體，跑在 { $stage2_levels } 層的 { $stage2 } 之上：客體用 { $page } 分頁對應這個分頁，{ $stage2 } 則用 { $stage2_page } 分頁對應客體實體記憶體。
practice-refs-question = TLB 與分頁結構快取（paging-structure cache）都是空的。讀取一次 { $address } 要參照幾次分頁表？
practice-translate-question = 讀取 { $address } 會到達哪個實體位址？請以十六進位輸入，若會發生分頁錯誤則輸入「fault」。
practice-given-head = CR3 = { $root }，4 層分頁。沒有列出的項目都是 0（不存在）。在項目中，第 0 位元 = present（存在），第 51..12 位元 = 下一層分頁表或分頁的位址。
practice-given-table = 位於 { $table } 的分頁表：
practice-why-native = 走訪時每一層讀一個項目，一路讀到葉節點：2 MiB 分頁會提早一層結束，1 GiB 分頁提早兩層。
practice-why-nested = 若走訪讀了 g 個客體項目，而每個項目背後都要做一次需 h 次參照的 stage-2 走訪，總共就是 (g+1)(h+1)-1 次（最後的 h 次是為了資料分頁本身）；分頁越大，走訪就提早一兩層結束。
practice-why-indices = 這個位址的各層索引為 PML4 { $pml4 }、PDPT { $pdpt }、PD { $pd }、PT { $pt }，分頁內位移 { $offset }（位元 47..39、38..30、29..21、20..12、11..0）。
# 產生的題目情境的名稱與說明（寫進情境檔的 zh-TW. 鍵）。
practice-refs-name = 練習 { $seed }：分頁表參照次數
practice-refs-lesson = TLB 冷啟動時一次未命中，要參照幾次分頁表？
practice-translate-name = 練習 { $seed }：轉譯位址
practice-translate-lesson = 讀分頁表，把虛擬位址轉譯成實體位址
