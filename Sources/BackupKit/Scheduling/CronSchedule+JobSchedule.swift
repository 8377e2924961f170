import Cron

extension CronSchedule: JobSchedule {}
