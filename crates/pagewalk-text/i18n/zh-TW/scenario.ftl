# scenario：繁體中文（台灣）。沒有 label 的 trace 項目在做什麼（步驟的標題）。
# 每則訊息都對應 ../en/scenario.ftl 的同名訊息（有測試檢查）。

op-read = 讀取 { $gva }
op-write = 寫入 { $gva }
op-fetch = 從 { $gva } 擷取指令
op-read-supervisor = 以核心模式讀取 { $gva }
op-write-supervisor = 以核心模式寫入 { $gva }
op-fetch-supervisor = 以核心模式從 { $gva } 擷取指令
op-sequential = 從 { $start } 起依序存取 { $length } 位元組，共 { $repeat } 輪
op-strided = 從 { $start } 起每隔 { $stride } 存取一次，共 { $count } 次，{ $repeat } 輪
op-random = 在 { $start } 起的 { $span } 位元組內隨機存取 { $count } 次
op-working-set = 從 { $start } 起 { $pages } 個分頁的工作集，共 { $rounds } 輪
op-vm-exit = { $count } 次 VM exit 與返回客體的 VM entry
op-cr3-guest = MOV to CR3 載入位址空間 { $space } 的 CR3
op-cr3-guest-noflush = MOV to CR3 載入位址空間 { $space } 的 CR3，並設定第 63 位元
op-cr3-host = 主機（KVM_SET_SREGS）載入位址空間 { $space } 的 CR3
op-cr3-host-noflush = 主機（KVM_SET_SREGS）載入位址空間 { $space } 的 CR3，並設定第 63 位元
op-invlpg = INVLPG { $gva }
op-invpcid = INVPCID 類型 { $kind }（PCID { $pcid }）
op-invvpid = INVVPID 類型 { $kind }（VPID { $vpid }）
op-invept = INVEPT 類型 { $kind }
op-pte-write = 寫入 { $gva } 的第 { $level } 層分頁表項目
op-set-ac = RFLAGS.AC = { $value }
op-fill-pattern = 客體以 { $pattern } 填滿從 { $gva } 起的 { $pages } 個分頁
op-fill = 客體填滿從 { $gva } 起的 { $pages } 個分頁，每頁內容各不相同
op-swap-out = 主機把客體 RAM { $from }..{ $to } 換出到 swap（MADV_PAGEOUT）
op-balloon-inflate = 記憶體氣球從 GPA { $gpa } 起拿走 { $pages } 個客體分頁；主機丟棄它們（MADV_DONTNEED）
op-balloon-deflate = 記憶體氣球把 { $pages } 個分頁還給客體
op-ksm-scan = KSM 掃描所有可合併的記憶體 { $passes } 次
