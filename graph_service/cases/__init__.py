"""保姆式 service: a case for every need, followed by platform staff from posting to a signed deal."""
