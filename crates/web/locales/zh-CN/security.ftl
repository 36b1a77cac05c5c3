# 第 12 号问题：谁可以代谁办理、不泄露的遮盖，以及其他小漏洞。
totp-reset-proof = 您的密码或当前验证码
totp-reset-proof-help = 更换或关闭两步验证前，需要先确认是您本人。
err-totp-proof = 密码或验证码不正确，两步验证保持不变。
err-vote-card-not-checked-in = 这张代表证没有用于签到，不能用来投票。请用自己的手机投票，或到签到台领取新的代表证。
err-link-needs-confirmation = 该会员担任需本人办理的身份（代表资格或已有本人账号）。账号已创建但未关联，须由会员本人通过自己的账号确认关联。
