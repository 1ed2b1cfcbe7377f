-- R2: an empty POST to the reference insert view.
wrk.method = "POST"
