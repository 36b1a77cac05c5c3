## 首页：学年指标（各业务声明的年度指标）
dashboard-year-title = { $years } 学年指标
dashboard-year = 学年
dashboard-year-school = 学校工会
dashboard-year-area = 片区
dashboard-year-total = 合计
dashboard-year-hint = 每个数字都链接到它统计的清单。点击列标题可在图表中比较各校。
dashboard-year-empty = 本学年还没有记录。学校召开教代会、收到提案、进行表决后，指标会显示在这里；可选择以前的学年查看。
