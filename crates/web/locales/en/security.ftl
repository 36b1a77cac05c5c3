# Issue 12: who may act for whom, masks, and the smaller holes.
totp-reset-proof = Your password or a current code
totp-reset-proof-help = Replacing or turning off two-step verification needs proof that it is you.
err-totp-proof = The password or code is wrong. Two-step verification stays as it was.
err-vote-card-not-checked-in = This card was not used to check in, so it cannot vote. Vote on your own phone, or ask the desk for a new card.
err-link-needs-confirmation = This member holds a delegate mandate or already has an account of their own. Only the member can link an account to their record; leave the ID number empty to create the account without a link.
err-exact-search-full-view = Searching for a whole ID number or phone number needs permission to see personal data in full. Search by name or by the last four characters instead.
err-exact-search-throttled = Too many searches for whole ID or phone numbers. Wait a few minutes and try again.
import-err-unpacks-too-large = The spreadsheet unpacks to far more data than a roster holds (over 512 MiB, or more than ten million cells). Save only the roster sheet and try again.
check-in-fresh-code = Your voting code, shown only this once on this phone:
check-in-fresh-code-help = It replaces the code on your printed card, which no longer works. You can vote here while logged in; use this code on /vote only if you vote from another screen. Do not show it to anyone.
