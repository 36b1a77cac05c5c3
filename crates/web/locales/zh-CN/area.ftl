## 各业务提供的文书（单位文书清单）
doc-org-members = 会员名册（脱敏，Excel）
doc-org-import-errors = 导入问题清单（Excel）
doc-congress-report = 会议报告（Excel）
doc-congress-cards = 表决卡（打印）
doc-congress-oversight = 教代会督查表（Excel）
doc-voting-minutes = 表决记录（打印）
doc-voting-result = 表决结果单（打印）
doc-voting-result-xlsx = 表决结果单（Excel）
