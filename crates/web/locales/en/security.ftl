# Issue 12: who may act for whom, masks, and the smaller holes.
totp-reset-proof = Your password or a current code
totp-reset-proof-help = Replacing or turning off two-step verification needs proof that it is you.
err-totp-proof = The password or code is wrong. Two-step verification stays as it was.
err-vote-card-not-checked-in = This card was not used to check in, so it cannot vote. Vote on your own phone, or ask the desk for a new card.
err-link-needs-confirmation = This member holds a personal role (a delegate mandate or an account of their own). The account is created without the link; the member confirms it through their own account.
