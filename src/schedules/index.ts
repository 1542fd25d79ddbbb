export { onCallAt, shifts, type OnCall, type Shift } from "./oncall.js";
export { scheduleSchema, type Layer, type Override, type Restriction, type Rotation, type Schedule, type ScheduleConfig, type ShiftLength } from "./schedule.schema.js";
export { usersFileSchema, CHANNELS, CHANNEL_CONTACT, type Channel, type Contacts, type NotificationRule, type User, type UsersFile, type UsersFileConfig } from "./users.schema.js";
export { crossCheckSchedules, parseScheduleFile, parseUsersFile, SCHEDULES_DIR, USERS_FILE, type LoadedSchedule, type LoadedUsers } from "./loader-pure.js";
export { loadSchedules, type ScheduleSet } from "./loader.js";
export { instantOfWall, wallOf } from "./local-time.js";
export { parseLocalDateTime } from "./fields.js";
