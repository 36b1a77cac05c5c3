## 各业务提供的文书（单位文书清单）
doc-org-members = 会员名册（脱敏，Excel）
doc-org-import-errors = 导入问题清单（Excel）
doc-congress-report = 会议报告（Excel）
doc-congress-cards = 表决卡（打印）
doc-congress-oversight = 教代会督查表（Excel）
doc-voting-minutes = 表决记录（打印）
doc-voting-result = 表决结果单（打印）
doc-voting-result-xlsx = 表决结果单（Excel）

## 组织与会员的年度指标（按学校、学年）
figure-org-members-active = 年末在职会员
figure-org-members-retired = 年末退休会员
figure-org-members-joined = 本年新入会会员
figure-org-schools-with-chair = 已设工会主席的学校
