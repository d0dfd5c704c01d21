"""The business's link: a capability for one site (QR code and short link on the notice)."""
