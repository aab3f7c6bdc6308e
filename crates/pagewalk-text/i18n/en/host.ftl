# host: English. Every message has its twin in ../zh-TW/host.ftl.ftl (checked by a test).
