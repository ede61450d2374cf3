-- GET /healthz: the baseline every other figure is a ratio to.
dofile(os.getenv("WRK_LIB") .. "/report.lua")
wrk.path = "/healthz"
