## 提案：年度指标（菜单和页面文字在 congress.ftl）
figure-proposals-submitted = 提交的提案
figure-proposals-accepted = 立案数
figure-proposals-answered = 已答复的提案
figure-proposals-answered-on-time = 按期答复
figure-proposals-satisfaction = 答复满意率
