# compare：繁體中文（台灣）。每則訊息都對應 ../en/compare.ftl.ftl 的同名訊息（有測試檢查）。
