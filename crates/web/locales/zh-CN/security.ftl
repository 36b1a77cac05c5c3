# 第 12 号问题：谁可以代谁办理、不泄露的遮盖，以及其他小漏洞。
totp-reset-proof = 您的密码或当前验证码
totp-reset-proof-help = 更换或关闭两步验证前，需要先确认是您本人。
err-totp-proof = 密码或验证码不正确，两步验证保持不变。
err-vote-card-not-checked-in = 这张代表证没有用于签到，不能用来投票。请用自己的手机投票，或到签到台领取新的代表证。
err-link-needs-confirmation = 该会员是现任代表或已有本人账号，只能由会员本人把账号关联到自己的档案。请不填身份证号，先创建不关联的账号。
err-exact-search-full-view = 按完整身份证号或手机号查找，需要查看完整个人信息的权限。请改按姓名或后四位查找。
err-exact-search-throttled = 按完整身份证号或手机号查找的次数过多，请过几分钟再试。
import-err-unpacks-too-large = 这个表格解压后的数据远超花名册应有的大小（超过 512 MiB 或一千万个单元格）。请只保存花名册工作表后重试。
check-in-fresh-code = 您的投票码（仅在本手机上显示这一次）：
check-in-fresh-code-help = 它取代您代表证上印制的签到码，印制的码已失效。登录状态下可直接在此投票；只有在其他屏幕上投票时才在 /vote 输入此码。请勿给任何人看。
