//! The congress of the demo district (filled in below).
