# core: English. Every message has its twin in ../zh-TW/core.ftl.ftl (checked by a test).
