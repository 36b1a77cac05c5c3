## 首页：学年指标（各业务声明的年度指标）
dashboard-year-title = { $years } 学年指标
dashboard-year = 学年
dashboard-year-school = 学校工会
dashboard-year-area = 片区
dashboard-year-total = 合计
dashboard-year-hint = 每个数字都链接到它统计的清单。点击列标题可在图表中比较各校。
dashboard-year-empty = 本学年还没有记录。学校召开教代会、收到提案、进行表决后，指标会显示在这里；可选择以前的学年查看。

# A delegate's start page during a meeting (issue 25).
home-now-title = 正在召开的会议
home-now-checked-in = 已签到（{ $at }）
home-now-polls = 正在进行的表决
home-now-no-polls = 目前没有正在进行的表决。表决开始后会显示在这里。
home-now-voted = 已投票
home-now-vote = 现在投票
home-now-paper = 纸质投票，请在会场填写选票
home-now-check-in-first = 签到后才能投票
home-now-me = 我的信息
home-nothing-yet = 您的账号还没有分配任何工作。请联系工会为您开通权限；在此之前，您可以在这里修改密码。
